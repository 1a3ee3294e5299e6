// A Pion keyframe catcher for the loss benchmark (bench/loss/run_pion.sh): a WHIP receiver
// with Pion's default interceptors (so Pion's own NACK generator asks for lost packets) and
// a keyframe policy like boltrtc serve's: a PLI at the first video packet unless it starts a
// keyframe (then only if no keyframe is complete 500 ms later), and again only when a
// keyframe is given up (incomplete for -hold after its first packet came); at most one PLI
// each 500 ms. It assembles VP8 frames itself and counts the complete ones. Its SRTP
// replay window is 1024 packets, not Pion's 64 (see newAPI).
// GET /stats answers with the counts as JSON, with the RTP packets its tracks read and the
// datagrams its UDP port read (bench/server/run_pion_cpu.sh compares them with what the
// publishers sent).
//
// With -count-only it is the least a Pion WHIP receiver can do, for the CPU benchmark: each
// track's RTP is read (decrypted, parsed, through Pion's default interceptors) and counted,
// nothing more: no frames assembled, no PLIs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"lossbench/pionapi"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v3"
)

type stats struct {
	Sessions        uint64  `json:"sessions"`
	Frames          uint64  `json:"frames"`
	Keyframes       uint64  `json:"keyframes"`
	KeyframesLost   uint64  `json:"keyframes_lost"`
	FramesLost      uint64  `json:"frames_lost"`
	Plis            uint64  `json:"plis"`
	RTPPackets      uint64  `json:"rtp_packets"`
	DatagramsIn     uint64  `json:"datagrams_in"`
	FirstKeyframeMs []int64 `json:"first_keyframe_ms"`
	mu              sync.Mutex
}

var st stats

// One frame (an RTP timestamp) being put together.
type frame struct {
	first      time.Time
	have       map[uint16]bool
	start, end int32 // sequence numbers of the S=1 packet and of the marker, -1 if unseen
	key        bool
	done       bool
}

func seqLess(a, b uint16) bool { return int16(a-b) < 0 }

func (f *frame) complete() bool {
	if f.start < 0 || f.end < 0 {
		return false
	}
	for s := uint16(f.start); ; s++ {
		if !f.have[s] {
			return false
		}
		if s == uint16(f.end) {
			return true
		}
	}
}

func receive(pc *webrtc.PeerConnection, track *webrtc.TrackRemote, hold time.Duration) {
	frames := map[uint32]*frame{}
	var lastPli time.Time
	started := time.Now()
	gotKey := false
	var lastKeyDone time.Time
	pli := func(force bool) {
		if !force && time.Since(lastPli) < 500*time.Millisecond {
			return
		}
		lastPli = time.Now()
		atomic.AddUint64(&st.Plis, 1)
		pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
	}
	var firstPli time.Time // when the first PLI is due, if the stream began with a keyframe
	first := true
	for {
		track.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		p, _, err := track.ReadRTP()
		if err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				if err != io.EOF {
					fmt.Fprintln(os.Stderr, "catcher:", err)
				}
				return
			}
		}
		if p != nil {
			atomic.AddUint64(&st.RTPPackets, 1)
			if first {
				first = false
				if startsKeyframe(p) {
					firstPli = time.Now().Add(500 * time.Millisecond)
				} else {
					pli(true)
				}
			}
			add(frames, p)
		}
		if !firstPli.IsZero() && time.Now().After(firstPli) {
			firstPli = time.Time{}
			if !gotKey {
				pli(true)
			}
		}
		for ts, f := range frames {
			if !f.done && f.complete() {
				f.done = true
				atomic.AddUint64(&st.Frames, 1)
				if f.key {
					lastKeyDone = time.Now()
					atomic.AddUint64(&st.Keyframes, 1)
					if !gotKey {
						gotKey = true
						st.mu.Lock()
						st.FirstKeyframeMs = append(st.FirstKeyframeMs, time.Since(started).Milliseconds())
						st.mu.Unlock()
					}
				}
			}
			if time.Since(f.first) > hold {
				if !f.done && os.Getenv("CATCHER_DEBUG") != "" {
					fmt.Fprintf(os.Stderr, "give up ts %d key %v start %d end %d have %d\n", ts, f.key, f.start, f.end, len(f.have))
				}
				if !f.done {
					atomic.AddUint64(&st.FramesLost, 1)
					if f.key {
						atomic.AddUint64(&st.KeyframesLost, 1)
					}
					// Not when a newer keyframe has completed since (as boltrtc).
					if (f.key || !gotKey) && !lastKeyDone.After(f.first) {
						pli(false)
					}
				}
				delete(frames, ts)
			}
		}
	}
}

func startsKeyframe(p *rtp.Packet) bool {
	var vp8 codecs.VP8Packet
	if _, err := vp8.Unmarshal(p.Payload); err != nil || len(vp8.Payload) == 0 {
		return false
	}
	return vp8.S == 1 && vp8.PID == 0 && vp8.Payload[0]&1 == 0
}

func add(frames map[uint32]*frame, p *rtp.Packet) {
	f := frames[p.Timestamp]
	if f == nil {
		f = &frame{first: time.Now(), have: map[uint16]bool{}, start: -1, end: -1}
		frames[p.Timestamp] = f
	}
	if f.done || f.have[p.SequenceNumber] {
		return
	}
	f.have[p.SequenceNumber] = true
	var vp8 codecs.VP8Packet
	if _, err := vp8.Unmarshal(p.Payload); err != nil || len(vp8.Payload) == 0 {
		return
	}
	if vp8.S == 1 && vp8.PID == 0 {
		f.start = int32(p.SequenceNumber)
		f.key = vp8.Payload[0]&1 == 0
	}
	if p.Marker {
		f.end = int32(p.SequenceNumber)
	}
}

// The media port, counting what it reads.
type countingConn struct{ net.PacketConn }

func (c countingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, a, err := c.PacketConn.ReadFrom(b)
	if err == nil {
		atomic.AddUint64(&st.DatagramsIn, 1)
	}
	return n, a, err
}

func newAPI(mux net.PacketConn) (*webrtc.API, error) {
	return pionapi.New(func(s *webrtc.SettingEngine) {
		s.SetICEUDPMux(webrtc.NewICEUDPMux(nil, mux))
		// Pion's SRTP replay window is 64 packets by default, so a packet resent on its own
		// SSRC (as Pion's responder does) more than 64 packets late, the head of a keyframe,
		// say, is dropped as too old and never repairs the frame. We measure the NACK
		// generator, so the window is widened to libwebrtc's 1024.
		s.SetSRTPReplayProtectionWindow(1024)
	})
}

func main() {
	httpAddr := flag.String("http", "127.0.0.1:8081", "WHIP and /stats")
	udpAddr := flag.String("udp", "127.0.0.1:50001", "the one UDP port for media")
	hold := flag.Duration("hold", time.Second, "how long an incomplete frame is waited for")
	countOnly := flag.Bool("count-only", false, "only read and count RTP (the CPU benchmark)")
	rcvbuf := flag.Int("rcvbuf", 0, "the UDP socket's receive buffer in bytes (0: the system's default)")
	flag.Parse()
	addr, err := net.ResolveUDPAddr("udp4", *udpAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conn, err := net.ListenUDP("udp4", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *rcvbuf > 0 {
		if err := conn.SetReadBuffer(*rcvbuf); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	api, err := newAPI(countingConn{conn})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var n uint64
	http.HandleFunc("/whip", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		offer, _ := io.ReadAll(r.Body)
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		if err == nil {
			_, err = pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		}
		if err == nil {
			err = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)})
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
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		<-gathered
		pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			if t.Kind() != webrtc.RTPCodecTypeVideo {
				return
			}
			atomic.AddUint64(&st.Sessions, 1)
			if *countOnly {
				for {
					if _, _, err := t.ReadRTP(); err != nil {
						return
					}
					atomic.AddUint64(&st.RTPPackets, 1)
				}
			}
			receive(pc, t, *hold)
		})
		id := atomic.AddUint64(&n, 1)
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", fmt.Sprintf("/whip/%d", id))
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, pc.LocalDescription().SDP)
	})
	http.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		json.NewEncoder(w).Encode(&st)
	})
	fmt.Fprintln(os.Stderr, http.ListenAndServe(*httpAddr, nil))
	os.Exit(1)
}
