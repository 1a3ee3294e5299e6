// Package pionapi makes the Pion API both loss-benchmark programs use: Pion's default codecs
// and interceptors (NACK generator and responder, RTCP reports, TWCC), IPv4 UDP, loopback
// candidates allowed. bench/server/run_pion_cpu.sh uses the same programs.
package pionapi

import (
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"
)

// New returns the API; more may change the setting engine first (nil: nothing more); extra
// interceptors come after the defaults, so they are the outermost: an RTP writer of theirs
// sees what the track writes, not the NACK responder's resends.
func New(more func(*webrtc.SettingEngine), extra ...interceptor.Factory) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, err
	}
	for _, f := range extra {
		reg.Add(f)
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if more != nil {
		more(&s)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(s)), nil
}
