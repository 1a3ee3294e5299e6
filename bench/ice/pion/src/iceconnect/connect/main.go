// ICE and DTLS time to connected for a Pion offerer (the controlling agent, as a WHIP
// publisher is), for bench/ice/bench_connect.py (docs/benchmarks.md, "pc-ice"). Each session
// makes a peer connection with one VP8 track, gathers (127.0.0.1 only, no trickle), and
// hands its offer either to a WHIP server (-whip URL: boltrtc serve) or to a second Pion
// peer connection in this process (-self: Pion with Pion, the peer's own figure). Times are
// from the moment the answer is applied (SetRemoteDescription called) to ICE connected
// (OnICEConnectionStateChange) and to DTLS connected (OnConnectionStateChange "connected"),
// in ms; one JSON object per session on stdout. Sessions run one after another and are closed
// (and DELETEd) before the next.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/pion/webrtc/v3"
)

type result struct {
	Peer     string  `json:"peer"`
	ICEms    float64 `json:"ice_ms"`
	DTLSms   float64 `json:"dtls_ms"`
	SignalMs float64 `json:"signal_ms"` // offer handed over to answer received
	Err      string  `json:"error,omitempty"`
}

func newAPI() *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		panic(err)
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s))
}

// Connected: closed when ICE and when the whole connection (DTLS) report connected.
type watch struct {
	ice, dtls chan time.Time
}

func watchPC(pc *webrtc.PeerConnection) *watch {
	w := &watch{ice: make(chan time.Time, 1), dtls: make(chan time.Time, 1)}
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s == webrtc.ICEConnectionStateConnected {
			select {
			case w.ice <- time.Now():
			default:
			}
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			select {
			case w.dtls <- time.Now():
			default:
			}
		}
	})
	return w
}

func offerer(api *webrtc.API) (*webrtc.PeerConnection, *watch, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, err
	}
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
	if err == nil {
		_, err = pc.AddTrack(track)
	}
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	w := watchPC(pc)
	offer, err := pc.CreateOffer(nil)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	<-gathered
	return pc, w, nil
}

// The answer from a second Pion peer connection (receive only), after its gathering.
func pionAnswer(api *webrtc.API, offer string) (*webrtc.PeerConnection, string, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer})
	}
	var answer webrtc.SessionDescription
	if err == nil {
		answer, err = pc.CreateAnswer(nil)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	<-gathered
	return pc, pc.LocalDescription().SDP, nil
}

func whipPost(whip, offer string) (string, string, error) {
	resp, err := http.Post(whip, "application/sdp", bytes.NewBufferString(offer))
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("WHIP POST: %s: %s", resp.Status, body)
	}
	loc := resp.Header.Get("Location")
	if base, err := url.Parse(whip); err == nil && loc != "" {
		if ref, err := url.Parse(loc); err == nil {
			loc = base.ResolveReference(ref).String()
		}
	}
	return string(body), loc, nil
}

func session(api *webrtc.API, peer, whip string, timeout time.Duration) result {
	r := result{Peer: peer}
	pc, w, err := offerer(api)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer pc.Close()
	t0 := time.Now()
	var answer, location string
	if whip != "" {
		answer, location, err = whipPost(whip, pc.LocalDescription().SDP)
	} else {
		var remote *webrtc.PeerConnection
		remote, answer, err = pionAnswer(api, pc.LocalDescription().SDP)
		if remote != nil {
			defer remote.Close()
		}
	}
	t1 := time.Now()
	if err == nil {
		err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	}
	if location != "" {
		defer func() {
			req, _ := http.NewRequest(http.MethodDelete, location, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.SignalMs = float64(t1.Sub(t0).Microseconds()) / 1000
	deadline := time.After(timeout)
	for _, c := range []struct {
		ch  chan time.Time
		out *float64
	}{{w.ice, &r.ICEms}, {w.dtls, &r.DTLSms}} {
		select {
		case t := <-c.ch:
			*c.out = float64(t.Sub(t1).Microseconds()) / 1000
		case <-deadline:
			r.Err = errors.New("timed out").Error()
			return r
		}
	}
	return r
}

func main() {
	whip := flag.String("whip", "", "a WHIP endpoint to publish to (boltrtc serve)")
	self := flag.Bool("self", false, "answer with a second Pion peer connection instead")
	n := flag.Int("n", 10, "sessions")
	name := flag.String("name", "", "the peer's name in the output")
	timeout := flag.Duration("timeout", 10*time.Second, "per session")
	flag.Parse()
	if (*whip == "") == !*self {
		fmt.Fprintln(os.Stderr, "connect: give -whip URL or -self")
		os.Exit(2)
	}
	api := newAPI()
	enc := json.NewEncoder(os.Stdout)
	for i := 0; i < *n; i++ {
		enc.Encode(session(api, *name, *whip, *timeout))
		time.Sleep(50 * time.Millisecond)
	}
}
