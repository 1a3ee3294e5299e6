/* Keyframe file naming and writing, and the mapping of request paths to the page's files
 * (nothing may climb out of the web or output folder). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "signal/keyframe_store.h"
#include "signal/web_files.h"
#include "testing.h"

static char tmp_root[PATH_MAX];

static void write_file(const char *dir, const char *name, const char *text) {
  char path[PATH_MAX * 2];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static void make_dir(const char *dir, const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", dir, name);
  mkdir(out, 0755);
}

static size_t count_entries(const char *dir) {
  char cmd[PATH_MAX + 32];
  snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
  FILE *p = popen(cmd, "r");
  unsigned long n = 0;
  if (p) {
    if (fscanf(p, "%lu", &n) != 1) n = 0;
    pclose(p);
  }
  return n;
}

static void test_keyframe_names(void) {
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot1.jpg"), 1);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot42.jpg"), 42);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot123456789.jpg"), 123456789);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot0.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot01.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot-1.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot1.jpeg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot1.jpg.tmp"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number(".shoot1.jpg.tmp"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("Shoot1.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot1234567890.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("../shoot1.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot1.jpg/../x"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number(""), 0);
  /* A track's label (several video tracks in a session). */
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-mid1.jpg"), 7);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-track12.jpg"), 7);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-A_b9.jpg"), 7);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-mid1234567890.jpg"), 0); /* 13 characters */
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-mid.1.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-../x.jpg"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-mid1.jpg.tmp"), 0);
  CHECK_EQ_INT(brtc_keyframe_name_number("shoot7-mi d.jpg"), 0);
  char label[BRTC_KEYFRAME_LABEL_MAX + 1];
  brtc_keyframe_label_for("1", 3, label);
  CHECK_STR(label, "mid1");
  brtc_keyframe_label_for("video0", 3, label);
  CHECK_STR(label, "midvideo0");
  brtc_keyframe_label_for("a/b", 3, label); /* not a label: the index instead */
  CHECK_STR(label, "track3");
  brtc_keyframe_label_for("0123456789", 2, label); /* too long with its prefix */
  CHECK_STR(label, "track2");
  brtc_keyframe_label_for("", 0, label);
  CHECK_STR(label, "track0");
}

static void test_numbering_continues(void) {
  char dir[PATH_MAX + 16], err[256];
  make_dir(tmp_root, "out-existing", dir, sizeof(dir));
  write_file(dir, "shoot3.jpg", "x");
  write_file(dir, "shoot10.jpg", "x");
  write_file(dir, "shoot99.txt", "x");
  write_file(dir, "shoot0100.jpg", "x"); /* not one of ours */
  brtc_keyframe_store *ks = brtc_keyframe_store_open(dir, err, sizeof(err));
  CHECK(ks != NULL);
  if (!ks) return;
  CHECK_EQ_INT(brtc_keyframe_store_next_number(ks), 11);
  const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9};
  const brtc_keyframe_record *r = NULL;
  CHECK_EQ_INT(brtc_keyframe_store_save(ks, jpeg, sizeof(jpeg), 640, 480, "s7", &r), BRTC_OK);
  CHECK(r != NULL && strcmp(r->file, "shoot11.jpg") == 0);
  CHECK(r != NULL && strcmp(r->session, "s7") == 0 && r->width == 640 && r->height == 480);
  CHECK_EQ_INT(brtc_keyframe_store_next_number(ks), 12);
  CHECK_EQ_INT(brtc_keyframe_store_save(ks, jpeg, sizeof(jpeg), 320, 240, "s8", &r), BRTC_OK);
  CHECK(r != NULL && strcmp(r->file, "shoot12.jpg") == 0);
  CHECK_EQ_INT(brtc_keyframe_store_count(ks), 2);
  CHECK_STR(brtc_keyframe_store_get(ks, 0)->file, "shoot11.jpg");
  CHECK(brtc_keyframe_store_get(ks, 2) == NULL);

  /* The bytes landed whole under the final name; no temporary file is left. */
  char path[PATH_MAX * 2];
  snprintf(path, sizeof(path), "%s/shoot11.jpg", dir);
  FILE *f = fopen(path, "rb");
  uint8_t back[32];
  size_t n = f ? fread(back, 1, sizeof(back), f) : 0;
  if (f) fclose(f);
  CHECK_EQ_INT(n, sizeof(jpeg));
  CHECK_MEM(back, jpeg, sizeof(jpeg));
  CHECK_EQ_INT(count_entries(dir), 6);
  CHECK_EQ_INT(brtc_keyframe_store_save(ks, jpeg, 0, 1, 1, "s1", NULL), BRTC_ERR_INVALID);
  brtc_keyframe_store_free(ks);

  /* A new store on the same folder goes on after the highest. */
  ks = brtc_keyframe_store_open(dir, err, sizeof(err));
  CHECK(ks && brtc_keyframe_store_next_number(ks) == 13);
  brtc_keyframe_store_free(ks);
}

static void test_store_creates_folders(void) {
  char dir[PATH_MAX * 2], err[256];
  snprintf(dir, sizeof(dir), "%s/a/b/c", tmp_root);
  brtc_keyframe_store *ks = brtc_keyframe_store_open(dir, err, sizeof(err));
  CHECK(ks != NULL);
  if (ks) CHECK_EQ_INT(brtc_keyframe_store_next_number(ks), 1);
  brtc_keyframe_store_free(ks);
  /* A file where the folder should be is an error with a reason. */
  write_file(tmp_root, "plainfile", "x");
  snprintf(dir, sizeof(dir), "%s/plainfile", tmp_root);
  err[0] = '\0';
  CHECK(brtc_keyframe_store_open(dir, err, sizeof(err)) == NULL);
  CHECK(strstr(err, "plainfile") != NULL);
}

static void test_web_paths(void) {
  CHECK(brtc_web_path_allowed("/app.js"));
  CHECK(brtc_web_path_allowed("/style.css"));
  CHECK(brtc_web_path_allowed("/index.html"));
  CHECK(brtc_web_path_allowed("/sub/part.js"));
  CHECK(!brtc_web_path_allowed("/"));
  CHECK(!brtc_web_path_allowed(""));
  CHECK(!brtc_web_path_allowed("app.js"));
  CHECK(!brtc_web_path_allowed("/../etc/passwd"));
  CHECK(!brtc_web_path_allowed("/sub/../../x.js"));
  CHECK(!brtc_web_path_allowed("/..js"));
  CHECK(!brtc_web_path_allowed("/.hidden.js"));
  CHECK(!brtc_web_path_allowed("//etc/x.js"));
  CHECK(!brtc_web_path_allowed("/sub//x.js"));
  CHECK(!brtc_web_path_allowed("/sub/"));
  CHECK(!brtc_web_path_allowed("/%2e%2e/x.js"));
  CHECK(!brtc_web_path_allowed("/a\\b.js"));
  CHECK(!brtc_web_path_allowed("/passwd"));
  CHECK(!brtc_web_path_allowed("/tsconfig.json"));
  CHECK(!brtc_web_path_allowed("/src/app.ts"));
  CHECK(!brtc_web_path_allowed("/shoot1.jpg"));
  CHECK_STR(brtc_web_mime_type("/x/app.js"), "text/javascript; charset=utf-8");
  CHECK_STR(brtc_web_mime_type("index.html"), "text/html; charset=utf-8");
  CHECK_STR(brtc_web_mime_type("noext"), "application/octet-stream");
}

static void test_web_resolve(void) {
  char web[PATH_MAX + 16], dist[PATH_MAX * 2], sub[PATH_MAX * 3], out[PATH_MAX * 4];
  make_dir(tmp_root, "web", web, sizeof(web));
  make_dir(web, "dist", dist, sizeof(dist));
  make_dir(web, "lib", sub, sizeof(sub));
  write_file(web, "index.html", "<html>");
  write_file(web, "style.css", "body{}");
  write_file(web, "app.js", "old");
  write_file(dist, "app.js", "new");
  write_file(sub, "deep.js", "x");
  char want[PATH_MAX * 4];

  CHECK_EQ_INT(brtc_web_resolve(web, "/", out, sizeof(out)), BRTC_OK);
  snprintf(want, sizeof(want), "%s/index.html", web);
  CHECK_STR(out, want);
  /* The compiled file wins over a stale one at the top. */
  CHECK_EQ_INT(brtc_web_resolve(web, "/app.js", out, sizeof(out)), BRTC_OK);
  snprintf(want, sizeof(want), "%s/dist/app.js", web);
  CHECK_STR(out, want);
  CHECK_EQ_INT(brtc_web_resolve(web, "/style.css", out, sizeof(out)), BRTC_OK);
  /* Only web/'s top level is served besides dist/. */
  CHECK_EQ_INT(brtc_web_resolve(web, "/lib/deep.js", out, sizeof(out)), BRTC_ERR_NOT_FOUND);
  CHECK_EQ_INT(brtc_web_resolve(web, "/missing.js", out, sizeof(out)), BRTC_ERR_NOT_FOUND);
  CHECK_EQ_INT(brtc_web_resolve(web, "/dist", out, sizeof(out)), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_web_resolve(web, "/../web/index.html", out, sizeof(out)), BRTC_ERR_INVALID);
  CHECK_EQ_INT(brtc_web_resolve(web, "/app.js", out, 8), BRTC_ERR_TOO_BIG);
}

int main(void) {
  snprintf(tmp_root, sizeof(tmp_root), "/tmp/brtc-signal-test-XXXXXX");
  if (!mkdtemp(tmp_root)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(test_keyframe_names);
  RUN(test_numbering_continues);
  RUN(test_store_creates_folders);
  RUN(test_web_paths);
  RUN(test_web_resolve);
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_root);
  return TEST_REPORT();
}
