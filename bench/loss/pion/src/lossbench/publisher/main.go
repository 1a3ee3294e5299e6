// Pion publishers for the loss benchmark (bench/loss/run_pion.sh): N WHIP sessions, each
// sending VP8 at 30 fps from an IVF file (its first frame is the keyframe, the rest are
// deltas), a keyframe every -key-interval frames and after each PLI or FIR. All media and
// ICE go through a relay: the answer's candidates are replaced by -relay, and the offer is
// sent without candidates so the receiver can only reach us through it.
//
// Counted here, on the sending side, from the RTCP that reaches each sender: NACK messages,
// sequence numbers asked for, PLIs and FIRs; and keyframes sent. One JSON object on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"lossbench/pionapi"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
)

type counters struct {
	NackMessages  uint64 `json:"nack_messages"`
	NackSeqs      uint64 `json:"nack_seqs"`
	Plis          uint64 `json:"plis"`
	Firs          uint64 `json:"firs"`
	KeyframesSent uint64 `json:"keyframes_sent"`
	KeyframesAsk  uint64 `json:"keyframes_asked"`
	FramesSent    uint64 `json:"frames_sent"`
	Connected     uint64 `json:"connected"`
	Failed        uint64 `json:"failed"`
}

func readFrames(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		frames = append(frames, frame)
	}
	if len(frames) < 2 || frames[0][0]&1 != 0 {
		return nil, fmt.Errorf("%s: want a keyframe then deltas", path)
	}
	return frames, nil
}

// The answer's candidates, pointed at the relay.
func toRelay(sdp, relay string) string {
	host, port, _ := strings.Cut(relay, ":")
	lines := strings.Split(sdp, "\r\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "a=candidate:") {
			continue
		}
		f := strings.Fields(l)
		if len(f) >= 6 {
			f[4], f[5] = host, port
			lines[i] = strings.Join(f, " ")
		}
	}
	return strings.Join(lines, "\r\n")
}

func withoutCandidates(sdp string) string {
	var out []string
	for _, l := range strings.Split(sdp, "\r\n") {
		if !strings.HasPrefix(l, "a=candidate:") && l != "a=end-of-candidates" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\r\n")
}

func newAPI() (*webrtc.API, error) { return pionapi.New(nil) }

func publish(api *webrtc.API, whip, relay string, frames [][]byte, seconds, keyInterval int,
	c *counters, wg *sync.WaitGroup) {
	defer wg.Done()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "publisher:", err)
		atomic.AddUint64(&c.Failed, 1)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fail(err)
		return
	}
	defer pc.Close()
	track, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "lossbench")
	if err != nil {
		fail(err)
		return
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		fail(err)
		return
	}
	var wantKey int32
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := sender.Read(buf)
			if err != nil {
				return
			}
			pkts, err := rtcp.Unmarshal(buf[:n])
			if err != nil {
				continue
			}
			for _, p := range pkts {
				switch p := p.(type) {
				case *rtcp.TransportLayerNack:
					atomic.AddUint64(&c.NackMessages, 1)
					for i := range p.Nacks {
						atomic.AddUint64(&c.NackSeqs, uint64(len(p.Nacks[i].PacketList())))
					}
				case *rtcp.PictureLossIndication:
					atomic.AddUint64(&c.Plis, 1)
					atomic.StoreInt32(&wantKey, 1)
				case *rtcp.FullIntraRequest:
					atomic.AddUint64(&c.Firs, 1)
					atomic.StoreInt32(&wantKey, 1)
				}
			}
		}
	}()
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		fail(err)
		return
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err = pc.SetLocalDescription(offer); err != nil {
		fail(err)
		return
	}
	<-gathered
	body := withoutCandidates(pc.LocalDescription().SDP)
	resp, err := http.Post(whip, "application/sdp", bytes.NewBufferString(body))
	if err != nil {
		fail(err)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		fail(fmt.Errorf("WHIP %d: %s", resp.StatusCode, answer))
		return
	}
	location := resp.Header.Get("Location")
	err = pc.SetRemoteDescription(webrtc.SessionDescription{
		Type: webrtc.SDPTypeAnswer, SDP: toRelay(string(answer), relay)})
	if err != nil {
		fail(err)
		return
	}
	select {
	case <-connected:
		atomic.AddUint64(&c.Connected, 1)
	case <-time.After(30 * time.Second):
		fail(fmt.Errorf("not connected in 30 s"))
		return
	}
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	delta := 1
	for n := 0; time.Now().Before(end); n++ {
		<-tick.C
		asked := atomic.SwapInt32(&wantKey, 0) == 1
		key := n == 0 || asked || (keyInterval > 0 && n%keyInterval == 0)
		frame := frames[0]
		if key {
			atomic.AddUint64(&c.KeyframesSent, 1)
			if asked && n != 0 && (keyInterval == 0 || n%keyInterval != 0) {
				atomic.AddUint64(&c.KeyframesAsk, 1)
			}
		} else {
			frame = frames[delta]
			delta = delta%(len(frames)-1) + 1
		}
		if err := track.WriteSample(media.Sample{Data: frame, Duration: time.Second / 30}); err != nil {
			fail(err)
			return
		}
		atomic.AddUint64(&c.FramesSent, 1)
	}
	if location != "" {
		u := location
		if strings.HasPrefix(location, "/") {
			base := whip[:strings.Index(whip[len("http://"):], "/")+len("http://")]
			u = base + location
		}
		req, _ := http.NewRequest(http.MethodDelete, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

func main() {
	n := flag.Int("n", 5, "publishers")
	whip := flag.String("whip", "http://127.0.0.1:8080/whip", "WHIP endpoint")
	relay := flag.String("relay", "127.0.0.1:40000", "where media goes (the relay)")
	ivf := flag.String("ivf", "frames.ivf", "VP8 frames: a keyframe, then deltas")
	seconds := flag.Int("seconds", 20, "media duration per publisher")
	keyInterval := flag.Int("key-interval", 90, "a keyframe every this many frames (0: only when asked)")
	flag.Parse()
	frames, err := readFrames(*ivf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	api, err := newAPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var c counters
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go publish(api, *whip, *relay, frames, *seconds, *keyInterval, &c, &wg)
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(&c)
	if c.Failed > 0 {
		os.Exit(1)
	}
}
