// Pion as a peer of the NAT lab's ICE test (tests/nat/test_nat_ice.py --with-pion), speaking
// nat_peer's line protocol on stdin and stdout, so that Pion to Pion runs through the same
// NATs and the same `boltrtc turn` as boltrtc to boltrtc, in the same run:
//
//	offer SDP / answer SDP   the description, CRLF as '|'
//	cand LINE                a trickled candidate (OnICECandidate); "cand" alone: the end
//	connected MS DETAIL      ICE connected, MS after our description went out
//	open MS, echoed N MS     the data channel opened; the offerer got N messages echoed
//	failed REASON
//
// Pion trickles like nat_peer: its offer goes out at once and each candidate follows as it
// is gathered, so the times compare as they are.
//
//	natpeer offer|answer HOST:PORT [--ice-server URL]... [--relay-only] [--messages N]
//	        [--seconds S]
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v3"
)

const messageLen = 1000

var out sync.Mutex

func say(parts ...string) {
	out.Lock()
	defer out.Unlock()
	fmt.Println(strings.Join(parts, " "))
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: natpeer offer|answer HOST:PORT [--ice-server URL]... [--relay-only]")
		os.Exit(2)
	}
	offerer := os.Args[1] == "offer"
	host, portText, err := net.SplitHostPort(os.Args[2])
	if err != nil {
		panic(err)
	}
	port, _ := strconv.Atoi(portText)
	cfg := webrtc.Configuration{}
	messages, seconds := 100, 20
	args := os.Args[3:]
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--ice-server":
			i++
			s := webrtc.ICEServer{URLs: []string{args[i]}}
			if strings.HasPrefix(args[i], "turn:") {
				s.Username, s.Credential = "lab", "labpass"
			}
			cfg.ICEServers = append(cfg.ICEServers, s)
		case "--relay-only":
			cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
		case "--messages":
			i++
			messages, _ = strconv.Atoi(args[i])
		case "--seconds":
			i++
			seconds, _ = strconv.Atoi(args[i])
		}
	}
	// The lab host's own address only, on ports from the one given: Pion opens a socket per
	// STUN and TURN server besides the host one.
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.String() == host })
	if err := se.SetEphemeralUDPPortRange(uint16(port), uint16(port+19)); err != nil {
		panic(err)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		say("failed", err.Error())
		os.Exit(1)
	}
	defer pc.Close()

	var described time.Time
	var mu sync.Mutex
	ms := func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("%.1f", float64(time.Since(described).Microseconds())/1000)
	}
	done := make(chan bool, 4)
	connected, echoedAll := false, false
	// Gathering starts inside SetLocalDescription, before the description can be printed:
	// candidates wait for it, or the other side would get them before the description.
	var held []string
	isDescribed := false
	trickle := func(line string) {
		mu.Lock()
		if !isDescribed {
			held = append(held, line)
			mu.Unlock()
			return
		}
		mu.Unlock()
		say(line)
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			trickle("cand")
			return
		}
		trickle("cand " + c.ToJSON().Candidate)
	})
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		switch s {
		case webrtc.ICEConnectionStateConnected:
			detail := "(pair unknown)"
			if p, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				detail = fmt.Sprintf("nominated %s:%d (pion, local %s, remote %s)", p.Remote.Address,
					p.Remote.Port, p.Local.Typ, p.Remote.Typ)
			}
			say("connected", ms(), detail)
			mu.Lock()
			connected = true
			finished := offerer && echoedAll
			mu.Unlock()
			if finished {
				done <- true
			}
		case webrtc.ICEConnectionStateFailed:
			say("failed", "ICE failed")
			done <- false
		}
	})
	wire := func(ch *webrtc.DataChannel) {
		sent, echoed := 0, 0
		payload := make([]byte, messageLen)
		sendMore := func() {
			for sent < messages && sent-echoed < 16 {
				for i := range payload {
					payload[i] = byte('a' + sent%26)
				}
				if ch.Send(payload) != nil {
					return
				}
				sent++
			}
		}
		ch.OnOpen(func() {
			say("open", ms())
			if offerer {
				sendMore()
			}
		})
		ch.OnMessage(func(m webrtc.DataChannelMessage) {
			if !offerer {
				_ = ch.Send(m.Data)
				return
			}
			echoed++
			if echoed == messages {
				say("echoed", strconv.Itoa(messages), ms())
				mu.Lock()
				echoedAll = true
				finished := connected
				mu.Unlock()
				if finished {
					done <- true
				}
			}
			sendMore()
		})
	}
	describe := func(kind string, d *webrtc.SessionDescription) {
		mu.Lock()
		described = time.Now()
		say(kind, strings.ReplaceAll(strings.ReplaceAll(d.SDP, "\r", "|"), "\n", "|"))
		for _, line := range held {
			say(line)
		}
		held, isDescribed = nil, true
		mu.Unlock()
	}
	if offerer {
		ch, err := pc.CreateDataChannel("chat", nil)
		if err != nil {
			panic(err)
		}
		wire(ch)
		offer, err := pc.CreateOffer(nil)
		if err == nil {
			err = pc.SetLocalDescription(offer)
		}
		if err != nil {
			say("failed", err.Error())
			os.Exit(1)
		}
		describe("offer", pc.LocalDescription())
	} else {
		pc.OnDataChannel(wire)
	}

	go func() {
		in := bufio.NewScanner(os.Stdin)
		in.Buffer(make([]byte, 1<<17), 1<<20)
		for in.Scan() {
			line := in.Text()
			kind, rest, _ := strings.Cut(line, " ")
			switch kind {
			case "cand":
				if rest != "" {
					if err := pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: rest}); err != nil {
						say("failed", "a candidate refused: "+err.Error())
					}
				}
			case "offer", "answer":
				sdp := strings.ReplaceAll(strings.ReplaceAll(rest, "||", "\r\n"), "|", "\n")
				t := webrtc.SDPTypeOffer
				if kind == "answer" {
					t = webrtc.SDPTypeAnswer
				}
				if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: t, SDP: sdp}); err != nil {
					say("failed", err.Error())
					done <- false
					return
				}
				if kind == "offer" {
					answer, err := pc.CreateAnswer(nil)
					if err == nil {
						err = pc.SetLocalDescription(answer)
					}
					if err != nil {
						say("failed", err.Error())
						done <- false
						return
					}
					describe("answer", pc.LocalDescription())
				}
			}
		}
		done <- true // stdin closed: the test is over
	}()
	select {
	case ok := <-done:
		if !ok {
			os.Exit(1)
		}
	case <-time.After(time.Duration(seconds) * time.Second):
		say("failed", "timed out")
		os.Exit(1)
	}
	if !offerer {
		say("done")
	}
}
