#!/usr/bin/env python3
"""A WHIP server (RFC 9725) built on GStreamer's webrtcbin, for `boltrtc publish` to publish to
a stack no one here wrote. Debian 12's GStreamer 1.22 has no whipserversrc, so WHIP is served
here (whip_server_http.py): the POSTed offer becomes webrtcbin's remote description, and its
answer, once its candidates are gathered, is the 201's body. What arrives is decoded (vp8dec,
openh264dec) to raw RGB; the --save-at'th decoded frame is written to --out
as frame.rgb with frame.json saying its size, as aiortc_whip_server.py does.

Runs in the e2e network namespace (only lo): libnice uses --host-address only, no UPnP."""
import json
import os
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

from gst_whip import ice_agent  # noqa: E402
from whip_server_http import parse_args, serve  # noqa: E402

STATE = {"sessions": 0, "deleted": 0, "frames": 0, "saved": False, "width": 0, "height": 0,
         "caps": "", "errors": []}
LOCK = threading.Lock()
SESSIONS = {}
# Depayloader and decoder per negotiated codec (decodebin does not plug RTP depayloaders).
DECODERS = {"VP8": "rtpvp8depay ! vp8dec",
            "H264": "rtph264depay ! h264parse ! openh264dec"}


def wait_promise(emit):
    """Emit a webrtcbin action with a promise and wait for its reply (webrtcbin answers from
    its own thread); raise on an error reply."""
    promise = Gst.Promise.new()
    emit(promise)
    promise.wait()
    reply = promise.get_reply()
    if reply is not None and reply.has_field("error"):
        raise RuntimeError(reply.get_value("error").message)
    return reply


class Session:
    def __init__(self, args):
        self.args = args
        self.pipe = Gst.Pipeline.new(None)
        self.webrtc = Gst.ElementFactory.make("webrtcbin", None)
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.webrtc)
        self.ice = ice_agent(self.webrtc)
        self.ice.get_property("agent").set_property("upnp", False)
        self.ice.emit("add-local-ip-address", args.host_address)
        self.webrtc.connect("pad-added", self.on_pad)
        self.pipe.set_state(Gst.State.PLAYING)

    def answer(self, offer_sdp):
        ok, msg = GstSdp.SDPMessage.new_from_text(offer_sdp)
        if ok != GstSdp.SDPResult.OK:
            raise ValueError("cannot parse the offer")
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
        wait_promise(lambda p: self.webrtc.emit("set-remote-description", offer, p))
        reply = wait_promise(lambda p: self.webrtc.emit("create-answer", None, p))
        answer = reply.get_value("answer")
        wait_promise(lambda p: self.webrtc.emit("set-local-description", answer, p))
        # No trickle: the answer carries every candidate (RFC 9725 4.3.1 allows either).
        deadline = time.monotonic() + 10
        while (self.webrtc.get_property("ice-gathering-state")
               != GstWebRTC.WebRTCICEGatheringState.COMPLETE):
            if time.monotonic() > deadline:
                raise TimeoutError("webrtcbin did not finish gathering")
            time.sleep(0.02)
        return self.webrtc.get_property("local-description").sdp.as_text()

    def on_pad(self, _webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps()
        with LOCK:
            STATE["caps"] = caps.to_string()
        codec = caps.get_structure(0).get_string("encoding-name")
        if codec not in DECODERS:
            with LOCK:
                STATE["errors"].append(f"no decoder for {codec}")
            return
        chain = Gst.parse_bin_from_description(
            f"queue ! {DECODERS[codec]} ! videoconvert ! video/x-raw,format=RGB "
            "! appsink name=sink emit-signals=true sync=false", True)
        self.pipe.add(chain)
        chain.get_by_name("sink").connect("new-sample", self.on_sample)
        chain.sync_state_with_parent()
        pad.link(chain.get_static_pad("sink"))

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        s = sample.get_caps().get_structure(0)
        w, h = s.get_value("width"), s.get_value("height")
        with LOCK:
            STATE["frames"] += 1
            n = STATE["frames"]
            STATE["width"], STATE["height"] = w, h
        if n == self.args.save_at:
            buf = sample.get_buffer()
            ok, info = buf.map(Gst.MapFlags.READ)
            if ok:
                stride = len(info.data) // h  # rows may be padded to 4 bytes
                rows = b"".join(info.data[y * stride:y * stride + w * 3] for y in range(h))
                buf.unmap(info)
                with open(os.path.join(self.args.out, "frame.rgb"), "wb") as f:
                    f.write(rows)
                with open(os.path.join(self.args.out, "frame.json"), "w") as f:
                    json.dump({"width": w, "height": h, "index": n}, f)
                with LOCK:
                    STATE["saved"] = True
        return Gst.FlowReturn.OK

    def close(self):
        self.pipe.set_state(Gst.State.NULL)


def main():
    args = parse_args(__doc__)
    Gst.init(None)
    threading.Thread(target=GLib.MainLoop().run, daemon=True).start()

    def on_offer(offer):
        session = Session(args)
        try:
            sdp = session.answer(offer)
        except Exception:
            session.close()
            raise
        with LOCK:
            STATE["sessions"] += 1
            rid = str(STATE["sessions"])
            SESSIONS[rid] = session
        return rid, sdp

    def on_delete(rid):
        with LOCK:
            session = SESSIONS.pop(rid, None)
            if session:
                STATE["deleted"] += 1
        if session:
            session.close()
        return session is not None

    serve(args.port, on_offer, on_delete, STATE, LOCK)


if __name__ == "__main__":
    main()
