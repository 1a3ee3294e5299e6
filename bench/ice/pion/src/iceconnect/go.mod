module iceconnect

go 1.19
