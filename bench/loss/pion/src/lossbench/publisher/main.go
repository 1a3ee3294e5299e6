// Pion publishers for the loss benchmark (bench/loss/run_pion.sh) and the CPU benchmark
// (bench/server/run_pion_cpu.sh): N WHIP sessions, each sending VP8 at 30 fps from an IVF
// file (its first frame is the keyframe, the rest are deltas), a keyframe every -key-interval
// frames and after each PLI or FIR. With -relay, all media and ICE go through a relay: the
// answer's candidates are replaced by it, and the offer is sent without candidates so the
// receiver can only reach us through it; without, they go straight to the receiver.
//
// Counted here, on the sending side, from the RTCP that reaches each sender: NACK messages,
// sequence numbers asked for, PLIs and FIRs; keyframes sent; RTP packets and bytes the
// tracks wrote (not the NACK responder's resends).
//
// With -together, every publisher connects first and they all start their media at once
// (each at a random phase of its frame interval, as independent cameras would); after
// -warmup s a window of -seconds s is measured: the CPU time of the process -cpu-pid (utime
// plus stime, /proc), our own, RTP packets sent, and, from -recv-stats, what the receiver
// counted. One JSON object on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"lossbench/pionapi"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
)

type counters struct {
	NackMessages  uint64      `json:"nack_messages"`
	NackSeqs      uint64      `json:"nack_seqs"`
	Plis          uint64      `json:"plis"`
	Firs          uint64      `json:"firs"`
	KeyframesSent uint64      `json:"keyframes_sent"`
	KeyframesAsk  uint64      `json:"keyframes_asked"`
	FramesSent    uint64      `json:"frames_sent"`
	Connected     uint64      `json:"connected"`
	Failed        uint64      `json:"failed"`
	RTPSent       uint64      `json:"rtp_sent"`
	RTPBytes      uint64      `json:"rtp_bytes"`
	Window        *window     `json:"window,omitempty"`
	RecvTotal     *recvCounts `json:"recv_total,omitempty"`
}

// The measured window of a -together run.
type window struct {
	Seconds    float64    `json:"seconds"`
	RTPSent    uint64     `json:"rtp_sent"`
	RTPBytes   uint64     `json:"rtp_bytes"`
	ServerCPU  float64    `json:"server_cpu_s"`
	ServerUser float64    `json:"server_user_s"`
	ServerSys  float64    `json:"server_sys_s"`
	ServerMain float64    `json:"server_main_thread_cpu_s"`
	OwnCPU     float64    `json:"publishers_cpu_s"`
	Recv       recvCounts `json:"recv"`
}

// What the receiver says it got: RTP packets accepted and UDP datagrams read.
type recvCounts struct {
	RTP       uint64 `json:"rtp"`
	Datagrams uint64 `json:"datagrams"`
}

// Counts what each track writes; registered after Pion's interceptors, so outermost.
type countFactory struct{ c *counters }

type countInterceptor struct {
	interceptor.NoOp
	c *counters
}

func (f countFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &countInterceptor{c: f.c}, nil
}

func (i *countInterceptor) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		atomic.AddUint64(&i.c.RTPSent, 1)
		atomic.AddUint64(&i.c.RTPBytes, uint64(h.MarshalSize()+len(payload)))
		return w.Write(h, payload, a)
	})
}

// utime and stime of a process, in seconds (/proc/PID/stat fields 14 and 15, in USER_HZ,
// which is 100 on Linux); of its main thread alone with /proc/PID/task/PID/stat.
func procCPU(pid int) (user, sys float64, err error) {
	return statCPU(fmt.Sprintf("/proc/%d/stat", pid))
}

func mainThreadCPU(pid int) float64 {
	u, s, err := statCPU(fmt.Sprintf("/proc/%d/task/%d/stat", pid, pid))
	if err != nil {
		return 0
	}
	return u + s
}

func statCPU(path string) (user, sys float64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // after "pid (comm) "
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%s: short", path)
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return float64(u) / 100, float64(st) / 100, nil
}

func ownCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func num(v interface{}) uint64 {
	f, _ := v.(float64)
	return uint64(f)
}

// The receiver's counts: boltrtc's /api/status (udp.datagrams_in, and rtp_video plus
// rtp_audio summed over its sessions) or the catcher's /stats (rtp_packets, datagrams_in).
func fetchRecv(url string) (recvCounts, error) {
	var r recvCounts
	resp, err := http.Get(url)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	var m map[string]interface{}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return r, err
	}
	if udp, ok := m["udp"].(map[string]interface{}); ok {
		r.Datagrams = num(udp["datagrams_in"])
		sessions, _ := m["sessions"].([]interface{})
		for _, s := range sessions {
			st, _ := s.(map[string]interface{})["stats"].(map[string]interface{})
			r.RTP += num(st["rtp_video"]) + num(st["rtp_audio"])
		}
		return r, nil
	}
	r.RTP, r.Datagrams = num(m["rtp_packets"]), num(m["datagrams_in"])
	return r, nil
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

// The offer, POSTed again after a 503 once its Retry-After has passed (RFC 9725 4.6: a
// server may refuse for a while, as boltrtc does while too many sessions from one address
// have not yet sent their first ICE check), at most 10 times.
func post(whip, offer string) (*http.Response, []byte, error) {
	for try := 0; ; try++ {
		resp, err := http.Post(whip, "application/sdp", bytes.NewBufferString(offer))
		if err != nil {
			return nil, nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || try == 10 {
			return resp, body, nil
		}
		wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || wait < 1 || wait > 30 {
			wait = 1
		}
		time.Sleep(time.Duration(wait)*time.Second + time.Duration(rand.Int63n(int64(time.Second))))
	}
}

func newAPI(c *counters) (*webrtc.API, error) { return pionapi.New(nil, countFactory{c}) }

// For -together: each publisher reports its connection (ready), waits for start, sends its
// media, reports the end (done) and waits for hangUp before its DELETE.
type together struct {
	ready, done         sync.WaitGroup
	start, hangUp       chan struct{}
	readyOnce, doneOnce []sync.Once
}

func publish(api *webrtc.API, whip, relay string, frames [][]byte, seconds, keyInterval int,
	c *counters, wg *sync.WaitGroup, t *together, id int) {
	defer wg.Done()
	markReady, markDone := func() {}, func() {}
	if t != nil {
		markReady = func() { t.readyOnce[id].Do(t.ready.Done) }
		markDone = func() { t.doneOnce[id].Do(t.done.Done) }
		defer markReady()
		defer markDone()
	}
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
	body := pc.LocalDescription().SDP
	if relay != "" {
		body = withoutCandidates(body)
	}
	resp, answer, err := post(whip, body)
	if err != nil {
		fail(err)
		return
	}
	if resp.StatusCode != http.StatusCreated {
		fail(fmt.Errorf("WHIP %d: %s", resp.StatusCode, answer))
		return
	}
	location := resp.Header.Get("Location")
	if relay != "" {
		answer = []byte(toRelay(string(answer), relay))
	}
	err = pc.SetRemoteDescription(webrtc.SessionDescription{
		Type: webrtc.SDPTypeAnswer, SDP: string(answer)})
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
	if t != nil {
		markReady()
		<-t.start
		time.Sleep(time.Duration(rand.Int63n(int64(time.Second / 30))))
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
	if t != nil {
		markDone()
		<-t.hangUp
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
	relay := flag.String("relay", "", "where media goes (a relay); empty: straight to the receiver")
	ivf := flag.String("ivf", "frames.ivf", "VP8 frames: a keyframe, then deltas")
	seconds := flag.Int("seconds", 20, "media duration per publisher (with -together: the measured window)")
	keyInterval := flag.Int("key-interval", 90, "a keyframe every this many frames (0: only when asked)")
	gap := flag.Duration("gap", 50*time.Millisecond, "between two publishers' starts")
	tog := flag.Bool("together", false, "connect all, then start the media of all at once")
	warmup := flag.Int("warmup", 5, "with -together: seconds of media before the window")
	cpuPid := flag.Int("cpu-pid", 0, "with -together: the receiver's process, for its CPU time")
	recvStats := flag.String("recv-stats", "", "with -together: the receiver's counts (URL)")
	flag.Parse()
	frames, err := readFrames(*ivf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var c counters
	api, err := newAPI(&c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var wg sync.WaitGroup
	var t *together
	media := *seconds
	if *tog {
		t = &together{start: make(chan struct{}), hangUp: make(chan struct{}),
			readyOnce: make([]sync.Once, *n), doneOnce: make([]sync.Once, *n)}
		t.ready.Add(*n)
		t.done.Add(*n)
		media = *warmup + *seconds
	}
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go publish(api, *whip, *relay, frames, media, *keyInterval, &c, &wg, t, i)
		time.Sleep(*gap)
	}
	if t != nil {
		t.ready.Wait()
		close(t.start)
		time.Sleep(time.Duration(*warmup) * time.Second)
		w, err := measure(*cpuPid, *recvStats, *seconds, &c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "publisher: measuring:", err)
		}
		c.Window = w
		t.done.Wait()
		time.Sleep(time.Second) // the last packets, before the sessions end
		if *recvStats != "" {
			if r, err := fetchRecv(*recvStats); err == nil {
				c.RecvTotal = &r
			} else {
				fmt.Fprintln(os.Stderr, "publisher: receiver's counts:", err)
			}
		}
		close(t.hangUp)
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(&c)
	if c.Failed > 0 {
		os.Exit(1)
	}
}

// The window: the receiver's counts are read outside the CPU samples, so building its
// status document is not in the figure.
func measure(pid int, recvURL string, seconds int, c *counters) (*window, error) {
	var r0, r1 recvCounts
	var err error
	if recvURL != "" {
		if r0, err = fetchRecv(recvURL); err != nil {
			return nil, err
		}
	}
	var u0, s0, u1, s1, m0, m1 float64
	if pid > 0 {
		if u0, s0, err = procCPU(pid); err != nil {
			return nil, err
		}
		m0 = mainThreadCPU(pid)
	}
	own0, sent0, bytes0 := ownCPU(), atomic.LoadUint64(&c.RTPSent), atomic.LoadUint64(&c.RTPBytes)
	t0 := time.Now()
	time.Sleep(time.Duration(seconds) * time.Second)
	if pid > 0 {
		if u1, s1, err = procCPU(pid); err != nil {
			return nil, err
		}
		m1 = mainThreadCPU(pid)
	}
	w := &window{Seconds: time.Since(t0).Seconds(), RTPSent: atomic.LoadUint64(&c.RTPSent) - sent0,
		RTPBytes: atomic.LoadUint64(&c.RTPBytes) - bytes0, OwnCPU: ownCPU() - own0,
		ServerUser: u1 - u0, ServerSys: s1 - s0, ServerCPU: u1 - u0 + s1 - s0, ServerMain: m1 - m0}
	if recvURL != "" {
		if r1, err = fetchRecv(recvURL); err != nil {
			return w, err
		}
		w.Recv = recvCounts{RTP: r1.RTP - r0.RTP, Datagrams: r1.Datagrams - r0.Datagrams}
	}
	return w, nil
}
