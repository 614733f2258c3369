package open311

// What the calling systems (and through them, citizens) read, together.

const (
	textServiceDescription = "由%s办理，办理时限 %d 个工作日。"
	textNotice             = "已收到您的反映，案件编号 %s。我们会在 %s 前办结，办理中会通过您留下的联系方式联系您。"
	textRefused            = "请求无法处理。"
	textOpen311Note        = "通过 Open311 接口提交（客户端 %s）。%s"
	textNoteName           = "联系人：%s"
	textNotePhone          = "电话：%s"
	textNoteEmail          = "邮箱：%s"
	textNoteAddress        = "地址：%s"
	textNotePosition       = "坐标：%s, %s"
	textNoteAddressID      = "地址编号：%s"
	textNoteAccount        = "对方系统账号：%s"
	textNoteDevice         = "设备：%s"
	textNoteMedia          = "附件链接（未下载）：%s"
	textNoteSeparator      = "；"
	textStatusNotesClosed  = "%s。答复：%s"
)

var reasonText = map[Reason]string{
	ReasonPostClosed:     "本接口暂未开放提交：系统没有配置任何 api_key。",
	ReasonNoAPIKey:       "缺少 api_key，提交需要本局发放的 api_key。",
	ReasonBadAPIKey:      "api_key 不正确，请核对本局发放的 api_key。",
	ReasonJurisdiction:   "jurisdiction_id 不是本接口服务的辖区。",
	ReasonUnknownService: "没有这个 service_code，请先查询 services 获取可选的事项。",
	ReasonNoService:      "缺少 service_code，请说明反映的是哪一类事项。",
	ReasonNoLocation:     "请提供地点：lat 和 long，或 address_string，或 address_id。",
	ReasonBadPosition:    "lat 和 long 要同时提供，并且是有效的经纬度数字。",
	ReasonNoDescription:  "请在 description 里写明遇到的问题。",
	ReasonTooLong:        "%s 太长了，最多 %d 个字。",
	ReasonNoContact:      "请留下电话（phone）或邮箱（email），方便工作人员联系您。",
	ReasonBadPhone:       "电话号码看起来不对，请填写手机号或带区号的座机号。",
	ReasonBadEmail:       "邮箱地址看起来不对，请核对后再提交。",
	ReasonBadName:        "姓名看起来不对：请只填写姓名，不要填写号码或句子。",
	ReasonBadURL:         "media_url 需要是 http 或 https 开头的链接。",
	ReasonBadDate:        "%s 需要是带时区的 ISO 8601 时间，例如 2026-12-01T09:00:00+08:00。",
	ReasonBadStatus:      "status 只能是 open 或 closed。",
	ReasonTooMany:        "%s 一次最多 %d 个。",
	ReasonNoRequest:      "没有这个 service_request_id（案件编号）。",
	ReasonBadFormat:      "只支持 .json 和 .xml 两种格式。",
	ReasonNoResource:     "没有这个接口。可用的有 services、requests。",
	ReasonTooLarge:       "提交的内容太大了，请精简后再提交。",
}
