/* Saved keyframes: JPEG files named shoot<N>.jpg in the output folder, numbered on from the
 * highest one already there, each written to a temporary name and renamed so a reader never
 * sees half a file. Keeps a list of the most recent ones for /api/status. */
#ifndef BRTC_SIGNAL_KEYFRAME_STORE_H
#define BRTC_SIGNAL_KEYFRAME_STORE_H

#include <stddef.h>
#include <stdint.h>

#define BRTC_KEYFRAME_STORE_KEEP 200 /* records listed in the status */

/* A file's label: what tells apart the keyframes of a session's several video tracks,
 * "shoot12-mid1.jpg" (mid 1); 1 to 12 of [A-Za-z0-9_]. */
#define BRTC_KEYFRAME_LABEL_MAX 12

typedef struct brtc_keyframe_record {
  char file[32];    /* "shoot12.jpg", or "shoot12-<label>.jpg" */
  char session[16]; /* "s3" */
  unsigned width, height;
  size_t bytes;
} brtc_keyframe_record;

typedef struct brtc_keyframe_store brtc_keyframe_store;

/* Creates dir (and its parents) if missing and finds the highest shoot<N>.jpg in it. */
brtc_keyframe_store *brtc_keyframe_store_open(const char *dir, char *err, size_t err_cap);
/* Bytes the shoot<N>.jpg files held when the store was opened (for the output cap). */
uint64_t brtc_keyframe_store_bytes_at_open(const brtc_keyframe_store *ks);
void brtc_keyframe_store_free(brtc_keyframe_store *ks);
const char *brtc_keyframe_store_dir(const brtc_keyframe_store *ks);
/* The number the next saved file gets. */
unsigned long brtc_keyframe_store_next_number(const brtc_keyframe_store *ks);
/* Write one JPEG as the next shoot<N>.jpg; *out (may be NULL) points at its record, valid
 * until the next save. */
int brtc_keyframe_store_save(brtc_keyframe_store *ks, const uint8_t *jpeg, size_t len,
                             unsigned width, unsigned height, const char *session,
                             const brtc_keyframe_record **out);

/* The same in three parts, for saving off the owner's thread (keyframe_worker.h):
 * reserve a number (owner thread), write the file (any thread), then record it (owner
 * thread). A reserved number that is never written leaves a gap; numbers never repeat. */
unsigned long brtc_keyframe_store_reserve(brtc_keyframe_store *ks);
/* Writes dir/shoot<n>.jpg through a temporary name and rename; touches no store state. */
int brtc_keyframe_file_write(const char *dir, unsigned long n, const uint8_t *jpeg, size_t len);
/* The same as shoot<n>-<label>.jpg; label NULL or "": shoot<n>.jpg. BRTC_ERR_INVALID for a
 * label that is not 1 to BRTC_KEYFRAME_LABEL_MAX of [A-Za-z0-9_]. */
int brtc_keyframe_file_write_labelled(const char *dir, unsigned long n, const char *label,
                                      const uint8_t *jpeg, size_t len);
/* A track's label from its mid: "mid<mid>" when that is a label, else "track<index>". */
void brtc_keyframe_label_for(const char *mid, size_t track, char out[BRTC_KEYFRAME_LABEL_MAX + 1]);
/* Adds the record of a written file; the returned record is valid until the next one. */
const brtc_keyframe_record *brtc_keyframe_store_record(brtc_keyframe_store *ks, unsigned long n,
                                                       unsigned width, unsigned height,
                                                       size_t bytes, const char *session);
/* The same for shoot<n>-<label>.jpg (label NULL or "": shoot<n>.jpg). */
const brtc_keyframe_record *brtc_keyframe_store_record_labelled(brtc_keyframe_store *ks,
                                                                unsigned long n, const char *label,
                                                                unsigned width, unsigned height,
                                                                size_t bytes, const char *session);
/* Records, oldest first. */
size_t brtc_keyframe_store_count(const brtc_keyframe_store *ks);
const brtc_keyframe_record *brtc_keyframe_store_get(const brtc_keyframe_store *ks, size_t i);

/* N for a name "shoot<N>.jpg" or "shoot<N>-<label>.jpg" (N from 1, decimal, no leading zero,
 * no sign; a label as above), else 0. These are also the only names /output/ serves. */
unsigned long brtc_keyframe_name_number(const char *name);

#endif
