// The page's side of `boltrtc serve`'s /ws signaling (src/signal/ws_messages.h), for the
// drivers that speak it from a bare RTCPeerConnection in Chromium instead of the page's own
// client. Injected before the page loads:
//   await page.addInitScript(wsSignal);
// then, inside page.evaluate:
//   const { ws, errors, answer } = await window.boltrtcSignal(conn, options);
// opens /ws, trickles conn's candidates (and the end of them), sends the offer and applies
// the answer when it comes. options: offer (more fields of the offer message),
// onCandidate(candidate or null), onMessage(message) for every message after the answer was
// applied. errors collects the server's error messages; answer resolves with the answer
// message once it is applied.
export function wsSignal() {
  window.boltrtcSignal = async (conn, { offer = {}, onCandidate, onMessage } = {}) => {
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws');
    await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws failed')); });
    const errors = [];
    let answered;
    const answer = new Promise((res) => { answered = res; });
    ws.onmessage = async (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'answer') {
        await conn.setRemoteDescription({ type: 'answer', sdp: m.sdp });
        answered(m);
      } else if (m.type === 'error') {
        errors.push(m.message);
      }
      onMessage?.(m);
    };
    conn.onicecandidate = (e) => {
      onCandidate?.(e.candidate);
      ws.send(JSON.stringify({ type: 'candidate', candidate: e.candidate ? e.candidate.candidate : '',
                               sdpMid: e.candidate?.sdpMid ?? '0' }));
    };
    await conn.setLocalDescription(await conn.createOffer());
    ws.send(JSON.stringify({ ...offer, type: 'offer', sdp: conn.localDescription.sdp }));
    return { ws, errors, answer };
  };
}
