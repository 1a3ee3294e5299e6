// The SDP viewer: the offer and the answer line by line, the lines that matter marked and
// explained (chapter 1 of docs/journey goes through them with a real session).

interface Note {
  match: RegExp;
  why: string;
}

const NOTES: Note[] = [
  { match: /^a=group:BUNDLE/, why: "every section shares one transport: one ICE pair, one DTLS handshake (RFC 9143)" },
  { match: /^a=ice-lite/, why: "the server is ICE-lite: it answers checks and never sends its own (RFC 8445 §2.5)" },
  { match: /^m=video/, why: "a video section: UDP/TLS/RTP/SAVPF means SRTP over DTLS with RTCP feedback; the numbers are payload types" },
  { match: /^m=audio/, why: "an audio section (Opus); port 9 is a placeholder, the candidates give real addresses" },
  { match: /^a=ice-ufrag/, why: "ICE user fragment: checks name it in their USERNAME (RFC 8839 §5.4)" },
  { match: /^a=ice-pwd/, why: "ICE password: the key of each check's MESSAGE-INTEGRITY (RFC 8839 §5.4)" },
  { match: /^a=ice-options:trickle/, why: "candidates follow the offer one by one (RFC 8840)" },
  { match: /^a=fingerprint/, why: "hash of the DTLS certificate: the handshake's certificate must match it (RFC 8122 §5)" },
  { match: /^a=setup:actpass/, why: "either DTLS role will do; the answer chooses (RFC 5763 §5)" },
  { match: /^a=setup:active/, why: "this side is the DTLS client and sends the ClientHello (RFC 5763 §5)" },
  { match: /^a=setup:passive/, why: "this side is the DTLS server and waits for the ClientHello (RFC 5763 §5)" },
  { match: /^a=mid:/, why: "the section's id, also carried in RTP by the MID header extension (RFC 9143)" },
  { match: /^a=(sendonly|recvonly|sendrecv)/, why: "direction: the browser only sends, the server only receives" },
  { match: /^a=rtcp-mux/, why: "RTP and RTCP on one port (RFC 5761)" },
  { match: /^a=rtpmap:\d+ VP8/, why: "VP8 at 90 kHz: the codec the server turns into JPEGs (RFC 7741)" },
  { match: /^a=rtpmap:\d+ rtx/, why: "retransmissions on their own SSRC and payload type, to answer NACKs (RFC 4588)" },
  { match: /^a=rtpmap:\d+ opus/, why: "Opus audio at 48 kHz (RFC 7587)" },
  { match: /^a=rtcp-fb:\d+ nack pli/, why: "the receiver may send PLI to ask for a keyframe (RFC 4585 §6.3.1)" },
  { match: /^a=rtcp-fb:\d+ nack$/, why: "the receiver may ask for lost packets again (RFC 4585 §6.2.1)" },
  { match: /^a=rtcp-fb:\d+ goog-remb/, why: "the receiver may tell the sender how fast to send (REMB)" },
  { match: /^a=rtcp-fb:\d+ ccm fir/, why: "Full Intra Request, an older way to ask for a keyframe (RFC 5104)" },
  { match: /^a=fmtp:\d+ apt=/, why: "which payload type this RTX type repairs (RFC 4588 §8.6)" },
  { match: /x-google-start-bitrate/, why: "the server's start bitrate for Chrome's encoder, so the first keyframe is sharp" },
  { match: /^a=ssrc-group:FID/, why: "the video SSRC and its RTX SSRC (RFC 5576 §4.2)" },
  { match: /^a=ssrc:\d+ cname/, why: "an SSRC the browser will send with, announced ahead (RFC 5576)" },
  { match: /^a=candidate/, why: "an address to check: foundation, component, priority, address, port, type (RFC 8839 §5.1)" },
  { match: /^a=end-of-candidates/, why: "no more candidates will come (RFC 8840)" },
  { match: /^a=extmap:/, why: "a header extension and the id RTP packets carry it with (RFC 8285)" },
  { match: /^a=rtcp-xr/, why: "extended reports: round-trip time for a receiver (RFC 3611)" },
];

export function explainSdpLine(line: string): string | undefined {
  return NOTES.find((n) => n.match.test(line))?.why;
}

// One <ol> of lines; lines with a note are marked "key" and carry it.
export function renderSdp(list: HTMLOListElement, sdp: string): void {
  list.replaceChildren();
  for (const line of sdp.split(/\r?\n/)) {
    if (!line) continue;
    const li = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = line;
    li.append(code);
    const why = explainSdpLine(line);
    if (why) {
      li.className = "key";
      const note = document.createElement("span");
      note.className = "why";
      note.textContent = why;
      li.append(note);
    }
    list.append(li);
  }
}
