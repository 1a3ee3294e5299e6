#!/usr/bin/env python3
"""The boltrtc command line: help, version and refusal of bad options (exit code 2 with one
clear message on stderr). Usage: cli_test.py CHECK BOLTRTC"""
import subprocess
import sys

OPTIONS = ["--http", "--udp", "--output", "--web", "--max-sessions", "--max-pending",
           "--max-pending-per-source", "--pending-timeout-ms", "--snapshot-interval-ms",
           "--max-output-mb", "--dtls-role", "--loopback-only", "--log-level", "--token",
           "--token-file", "--capture", "--capture-max-mb", "--rate-interval", "--keyframe-interval",
           "--source", "--echo", "--help"]


# The limits' bad values, in three checks of about ten launches each: a launch of the ASan
# build takes 1 to 2 s of wall time on a loaded 2-core machine (all 31 in one check took 35 s
# at load 11, past ctest's 30 s then, and timed out once in a full ASan run).
BAD_LIMITS = {
    "bad-limits-pending": (("--max-pending", ("0", "-1", "x", "100001")),
                           ("--max-pending-per-source", ("0", "2.5", "")),
                           ("--pending-timeout-ms", ("99", "30001", "5s"))),
    "bad-limits-output": (("--snapshot-interval-ms", ("0", "3600001")),
                          ("--max-output-mb", ("-1", "1GB", "100000001")),
                          ("--capture-max-mb", ("0", "-1", "1000001", "64MB")),
                          ("--capture", ("",))),
    "bad-limits-timing": (("--rate-interval", ("-1", "86401", "5s")),
                          ("--keyframe-interval", ("-1", "0.05", "3601", "2s", "")),
                          ("--batch-hold-us", ("-1", "1ms", "100001"))),
}


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout, p.stderr


def expect_usage_error(binary, args, words):
    code, out, err = run(binary, *args)
    assert code == 2, f"{args}: exit {code}, wanted 2 (stderr {err!r})"
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, f"{args}: wanted one line on stderr, got {err!r}"
    for w in words:
        assert w in err, f"{args}: {w!r} not in {err!r}"
    assert out == "", f"{args}: nothing expected on stdout, got {out!r}"


def main():
    check, binary = sys.argv[1], sys.argv[2]
    if check == "help":
        for args in (["--help"], ["serve", "--help"]):
            code, out, _ = run(binary, *args)
            assert code == 0, f"{args}: exit {code}"
            for opt in OPTIONS:
                assert opt in out, f"{args}: help does not mention {opt}"
            for default in ("127.0.0.1:8080", "127.0.0.1:50000", "./output", "500", "(default 100)",
                            "(default 16)", "(default 5000)", "(default 1000)", "(default 1024)",
                            "(default 64)", "(default 10)", "(default 5)"):
                assert default in out, f"{args}: help does not give the default {default}"
    elif check == "version":
        code, out, _ = run(binary, "--version")
        assert code == 0 and out.startswith("boltrtc ") and out.strip()[-1].isdigit(), out
    elif check == "bogus-option":
        expect_usage_error(binary, ["serve", "--bogus"], ["--bogus"])
        expect_usage_error(binary, ["serve", "extra-argument"], ["extra-argument"])
        expect_usage_error(binary, ["serve", "--http"], ["--http"])
    elif check == "bad-http":
        for bad in ("nope", "127.0.0.1", "127.0.0.1:99999", "300.1.1.1:80", "[::1", ""):
            expect_usage_error(binary, ["serve", "--http", bad], ["--http"])
        expect_usage_error(binary, ["serve", "--http=1.2.3.4:x"], ["1.2.3.4:x"])
    elif check == "bad-udp":
        expect_usage_error(binary, ["serve", "--udp", "localhost:-1"], ["--udp"])
        many = []
        for i in range(9):
            many += ["--udp", f"127.0.0.1:{50000 + i}"]
        expect_usage_error(binary, ["serve", *many], ["too many"])
    elif check == "bad-max-sessions":
        for bad in ("0", "-1", "ten", "100001", "5x"):
            expect_usage_error(binary, ["serve", "--max-sessions", bad], ["--max-sessions"])
    elif check in BAD_LIMITS:
        for opt, bads in BAD_LIMITS[check]:
            for bad in bads:
                expect_usage_error(binary, ["serve", opt, bad], [opt])
    elif check == "bad-dtls-role":
        for bad in ("actpass", "server", ""):
            expect_usage_error(binary, ["serve", "--dtls-role", bad], ["--dtls-role"])
    elif check == "bad-log-level":
        expect_usage_error(binary, ["serve", "--log-level", "loud"], ["--log-level", "loud"])
    elif check == "bad-token":
        for bad in ("", "has space", "a=b", "tok\u00e9", "x" * 300):
            expect_usage_error(binary, ["serve", "--token", bad], ["token"])
        expect_usage_error(binary, ["serve", "--token-file", "/nonexistent/tokens"],
                           ["--token-file", "/nonexistent/tokens"])
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".tokens") as f:
            f.write("good\nbad token\n")
            f.flush()
            expect_usage_error(binary, ["serve", "--token-file", f.name], ["line 2"])
    elif check == "publish":
        # boltrtc publish: its help names every option, and bad ones are refused before any
        # source is opened or anything is sent.
        code, out, _ = run(binary, "publish", "--help")
        assert code == 0, f"publish --help: exit {code}"
        for opt in ("--source", "--audio", "--size", "--fps", "--bitrate", "--token", "--udp",
                    "--duration", "--log-level", "testpattern", "RFC 9725"):
            assert opt in out, f"publish --help does not mention {opt}"
        code, out, _ = run(binary, "--help")
        assert code == 0 and "boltrtc publish URL" in out, "boltrtc --help lacks publish"
        expect_usage_error(binary, ["publish"], ["one URL"])
        expect_usage_error(binary, ["publish", "ftp://example.net/whip"], ["http://"])
        expect_usage_error(binary, ["publish", "http://a/whip", "http://b/whip"], ["one URL"])
        expect_usage_error(binary, ["publish", "http://a/whip", "--bogus"], ["--bogus"])
        for opt, bad in (("--size", "10x10"), ("--size", "640"), ("--fps", "0"),
                         ("--fps", "121"), ("--bitrate", "10"), ("--duration", "0"),
                         ("--log-level", "loud")):
            expect_usage_error(binary, ["publish", "http://a/whip", opt, bad], [opt])
        expect_usage_error(binary, ["publish", "http://a/whip", "--source"], ["--source"])
    elif check == "unknown-command":
        expect_usage_error(binary, ["frobnicate"], ["frobnicate"])
        code, _, err = run(binary)
        assert code == 2 and "serve" in err, (code, err)
    else:
        sys.exit(f"unknown check {check}")
    print(f"cli {check}: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
