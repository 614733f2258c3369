package cases

// Kinds of file a citizen sends (Attachment.Kind), named as WeCom names the
// message that carries them.
const (
	MediaImage = "image"
	MediaVoice = "voice"
	MediaVideo = "video"
	MediaFile  = "file"
)

// mediaLabels holds the one word for each kind of file, the same in the chat,
// on the timeline and in staff messages. A picture is a 照片: the word the
// dialog has always used with citizens ("文字、语音、照片都行").
var mediaLabels = map[string]string{
	MediaImage: "照片",
	MediaVoice: "语音",
	MediaVideo: "视频",
	MediaFile:  "文件",
}

// MediaLabel is the word for a kind of file: "照片", "语音", "视频", or "文件"
// for a file and for any kind this table does not know.
func MediaLabel(kind string) string {
	if l, ok := mediaLabels[kind]; ok {
		return l
	}
	return mediaLabels[MediaFile]
}
