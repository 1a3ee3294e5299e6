#!/usr/bin/env python3
"""A WHIP (RFC 9725) publisher built on GStreamer's webrtcbin (Debian 12: GStreamer 1.22, which
has no whipsink): sends a still .y4m picture as VP8, does WHIP's POST and DELETE itself, and
waits until the server reports saved keyframes. Exit 0 on success.

  --codec vp8          vp8enc and rtpvp8pay (the default)
  --codec h264         x264enc (constrained baseline, zero-latency) and rtph264pay
                       (packetization-mode 1: STAP-A for SPS and PPS, FU-A for large slices)

  --shape pad          one requested sink pad only: one video m-section
  --shape transceiver  a transceiver added first, then a requested sink pad: webrtcbin offers
                       two video m-sections, the second bundle-only and sendrecv with the SSRC
                       (a server must accept it, RFC 8843)

Runs in the e2e network namespace (only lo): libnice is told to use 127.0.0.1 only and not to
try UPnP (which would send SSDP multicast)."""
import argparse
import ctypes
import json
import sys
import threading
import time

from whip_http import http, resource_url

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402



# Encoder and payloader per codec. x264's VUI says BT.601 limited range, as the picture is;
# rtph264pay repeats SPS and PPS before each IDR (config-interval=-1) so every keyframe
# stands alone, as a browser's do.
ENCODERS = {
    "vp8": "vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=1500000 ! rtpvp8pay pt=96",
    "h264": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=1500 "
            "! video/x-h264,profile=constrained-baseline "
            "! rtph264pay pt=96 config-interval=-1 aggregate-mode=zero-latency",
}


def rtp_caps(codec):
    name = {"vp8": "VP8", "h264": "H264"}[codec]
    extra = ",packetization-mode=(string)1" if codec == "h264" else ""
    return f"application/x-rtp,media=video,encoding-name={name},payload=96,clock-rate=90000{extra}"


def ice_agent(webrtc):
    """webrtcbin's ICE object. PyGObject 3.42 takes over webrtcbin's only reference to it from
    the property getter, so dropping the wrapper would free it under webrtcbin: take one more
    reference, which webrtcbin's own dispose gives back."""
    ice = webrtc.get_property("ice-agent")
    gobject = ctypes.CDLL("libgobject-2.0.so.0")
    gobject.g_object_ref.argtypes = [ctypes.c_void_p]
    gobject.g_object_ref.restype = ctypes.c_void_p
    capsule = ctypes.pythonapi.PyCapsule_GetPointer
    capsule.argtypes = [ctypes.py_object, ctypes.c_char_p]
    capsule.restype = ctypes.c_void_p
    gobject.g_object_ref(capsule(ice.__gpointer__, None))
    return ice


class Publisher:
    def __init__(self, a):
        self.a = a
        self.loop = GLib.MainLoop()
        self.error = None
        self.location = None
        self.offer_sdp = None
        self.answer_sdp = None
        self.pipe = Gst.parse_launch(
            f"webrtcbin name=send bundle-policy=max-bundle "
            f"filesrc location={a.y4m} ! y4mdec ! imagefreeze ! videoconvert ! "
            f"video/x-raw,framerate=30/1 ! queue ! {ENCODERS[a.codec]} ! "
            f"{rtp_caps(a.codec)} ! queue name=rtpq")
        self.webrtc = self.pipe.get_by_name("send")
        self.ice = ice_agent(self.webrtc)
        self.ice.get_property("agent").set_property("upnp", False)
        self.ice.emit("add-local-ip-address", a.host_address)
        if a.shape == "transceiver":
            caps = Gst.Caps.from_string(rtp_caps(a.codec))
            self.webrtc.emit("add-transceiver",
                             GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY, caps)
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-connection-state", self.on_ice_state)
        # Link last: webrtcbin asks for negotiation once caps reach its sink pad.
        src = self.pipe.get_by_name("rtpq").get_static_pad("src")
        sink = self.webrtc.request_pad_simple("sink_%u")
        if src.link(sink) != Gst.PadLinkReturn.OK:
            raise SystemExit("cannot link the RTP source to webrtcbin")
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)

    def fail(self, why):
        if self.error is None:
            self.error = why
        self.loop.quit()

    def on_error(self, _bus, msg):
        err, dbg = msg.parse_error()
        self.fail(f"pipeline error: {err.message} ({dbg})")

    def on_ice_state(self, *_):
        print(f"ice-connection-state {self.webrtc.get_property('ice-connection-state')}",
              flush=True)

    def on_negotiation_needed(self, _element):
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _):
        promise.wait()
        reply = promise.get_reply()
        if reply is None or not reply.has_field("offer"):
            GLib.idle_add(self.fail, f"create-offer failed: {reply.to_string() if reply else None}")
            return
        offer = reply.get_value("offer")
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())
        # webrtcbin gathers in the background; wait for its candidates before POSTing, since
        # WHIP without trickle carries them in the offer.
        GLib.timeout_add(50, self.post_when_gathered)

    def post_when_gathered(self):
        state = self.webrtc.get_property("ice-gathering-state")
        if state != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return True
        self.offer_sdp = self.webrtc.get_property("local-description").sdp.as_text()
        threading.Thread(target=self.post, daemon=True).start()
        return False

    def post(self):
        code, headers, body = http("POST", self.a.url, self.offer_sdp.encode(), "application/sdp")
        if code != 201:
            GLib.idle_add(self.fail, f"POST: {code} {body[:300]!r}")
            return
        self.location = headers.get("Location") or headers.get("location")
        self.answer_sdp = body.decode()
        print(f"201 Created, Location {self.location}, answer of {len(body)} bytes", flush=True)
        GLib.idle_add(self.apply_answer)

    def apply_answer(self):
        ok, sdp = GstSdp.SDPMessage.new_from_text(self.answer_sdp)
        if ok != GstSdp.SDPResult.OK:
            self.fail("cannot parse the answer")
            return False
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        promise = Gst.Promise.new_with_change_func(self.on_answer_applied, None)
        self.webrtc.emit("set-remote-description", answer, promise)
        return False

    def on_answer_applied(self, promise, _):
        promise.wait()
        reply = promise.get_reply()
        if reply is not None and reply.has_field("error"):
            GLib.idle_add(self.fail, f"set-remote-description: {reply.get_value('error').message}")

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add_seconds(self.a.timeout, lambda: self.fail("timed out") or False)
        threading.Thread(target=self.watch_status, daemon=True).start()
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)

    def watch_status(self):
        deadline = time.monotonic() + self.a.timeout
        while time.monotonic() < deadline and self.error is None:
            time.sleep(0.2)
            if not self.location:
                continue
            status = json.loads(http("GET", self.a.status)[2])
            sessions = status.get("sessions", [])
            saved = status["keyframes"]
            if len(saved) >= self.a.keyframes:
                print(f"keyframes saved: {saved}", flush=True)
                print(f"sessions: {json.dumps(sessions)[:2000]}", flush=True)
                GLib.idle_add(self.loop.quit)
                return


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--url", required=True, help="the WHIP endpoint, http://HOST:PORT/whip")
    ap.add_argument("--status", required=True, help="the server's /api/status URL")
    ap.add_argument("--y4m", required=True)
    ap.add_argument("--keyframes", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--shape", choices=["pad", "transceiver"], default="pad")
    ap.add_argument("--codec", choices=["vp8", "h264"], default="vp8")
    ap.add_argument("--host-address", default="127.0.0.1")
    ap.add_argument("--offer-out", help="write webrtcbin's offer here (a test fixture)")
    a = ap.parse_args()
    Gst.init(None)
    p = Publisher(a)
    p.run()
    if a.offer_out and p.offer_sdp:
        with open(a.offer_out, "w") as f:
            f.write(p.offer_sdp)
    code = None
    if p.location:
        code, _, _ = http("DELETE", resource_url(a.url, p.location))
        print(f"DELETE {p.location}: {code}", flush=True)
    if p.error:
        raise SystemExit(p.error)
    if code != 200:
        raise SystemExit(f"DELETE answered {code}")


if __name__ == "__main__":
    sys.exit(main())
