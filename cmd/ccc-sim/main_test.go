package main

import (
	"os"
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:9090": true, "localhost:0": true, "[::1]:9090": true,
		"0.0.0.0:9090": false, ":9090": false, "10.0.0.5:9090": false, "example.com:80": false, "nonsense": false,
	} {
		if err := checkAddr(addr, false); (err == nil) != ok {
			t.Errorf("%s: err=%v, want ok=%v", addr, err, ok)
		}
	}
	if err := checkAddr("0.0.0.0:9090", true); err != nil {
		t.Errorf("--allow-remote should allow 0.0.0.0: %v", err)
	}
}

func TestAnUnknownTimeZoneIsRefusedWithWhatToSend(t *testing.T) {
	err := run([]string{"--time-zone", "Mars/Olympus"}, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "Mars/Olympus") || !strings.Contains(err.Error(), "Asia/Shanghai") {
		t.Fatalf("got %v", err)
	}
}
