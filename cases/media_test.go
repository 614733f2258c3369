package cases

import "testing"

func TestMediaLabel(t *testing.T) {
	for kind, want := range map[string]string{
		MediaImage: "照片", MediaVoice: "语音", MediaVideo: "视频", MediaFile: "文件",
		"": "文件", "sticker": "文件",
	} {
		if got := MediaLabel(kind); got != want {
			t.Errorf("MediaLabel(%q) = %q, want %q", kind, got, want)
		}
	}
}
