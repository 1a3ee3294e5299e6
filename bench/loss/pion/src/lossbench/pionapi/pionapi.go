// Package pionapi makes the Pion API both loss-benchmark programs use: Pion's default codecs
// and interceptors (NACK generator and responder, RTCP reports, TWCC), IPv4 UDP, loopback
// candidates allowed.
package pionapi

import (
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"
)

// New returns the API; more may change the setting engine first (nil: nothing more).
func New(more func(*webrtc.SettingEngine)) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, err
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
