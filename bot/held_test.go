package bot

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// wantHandovers checks the handovers recorded, as reporter@case.
func wantHandovers(want ...string) func(*testing.T, *fakeDesk) {
	return func(t *testing.T, d *fakeDesk) {
		t.Helper()
		if diff := cmp.Diff(want, d.handovers); diff != "" {
			t.Errorf("handovers (-want +got):\n%s", diff)
		}
	}
}

// heldConversations send material, or the reason of a follow-up answer, to
// a case that can no longer take it (closed, withdrawn or merged meanwhile):
// nothing the citizen sent is dropped. Another open case may take it, or it becomes a new report, or a
// person is asked to look while it is kept.
var heldConversations = []transcriptCase{
	{
		name: "held: the chosen case was closed meanwhile, another open case takes what was sent",
		seed: twoOpen,
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			（BC2611280002 要补充：请拍档案袋封面）
			我：[照片]
			办：刚才发的，要补充到哪一件？
			我：退休证在我儿子那里，他明天拍给我
			办：您说的这些已经记下了
			（BC2611280001 办结了）
			我：[点 supp_pick:2]
			办：这件事已经办结或撤回了
			办：您发的内容还留着，没有丢。
			办：刚才发的，要补充到哪一件？
			办：[1. BC2611280002 档案问题]
			办不含：BC2611280001 养老保险
			我：1
			办：已收到，补充到 BC2611280002
			我：好了
			办：补充完了`,
		check: wantSupplements(
			supplemented{Number: "BC2611280002", Text: "退休证在我儿子那里，他明天拍给我"},
			supplemented{Number: "BC2611280002", AttKind: KindImage}),
	},
	{
		name: "held: words refused while supplementing go to the other open case",
		seed: twoOpen,
		script: `
			我：补充
			我：2
			办：请发要补充给 BC2611280001 的内容
			（BC2611280001 办结了）
			我：社保中心说要原单位盖章的证明
			办：这件事已经办结或撤回了
			办：刚才发的，要补充到哪一件？
			我：BC2611280002
			办：已收到，补充到 BC2611280002`,
		check: wantSupplements(supplemented{Number: "BC2611280002", Text: "社保中心说要原单位盖章的证明"}),
	},
	{
		name: "held: no other case can take it, it becomes a new report with the words and the voice",
		seed: twoOpen,
		script: `
			我：补充
			办：要补充到哪一件？
			我：[语音]
			办：语音收到了
			我：单位破产以后档案就找不到了，我跑了好几个地方
			办：您说的这些已经记下了
			（BC2611280001 办结了）
			（BC2611280002 办结了）
			我：0001
			办：这件事已经办结或撤回了
			办：您发的内容还没有交给哪件事
			办：要把它作为一件新的事反映吗？
			办：[1. 作为新的事反映]
			办：[2. 不用，请工作人员看看]
			我：1
			办：您发的内容已经记下了，作为一件新的事来反映
			办：这件事是谁遇到的？
			我：本人
			我：钱淑芬
			我：不知道
			我：13812345678
			我：区社保中心
			我：不记得
			我：没有
			办：请核对
			办：档案问题
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "钱淑芬", Affected: cases.Person{Name: "钱淑芬", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "archive",
			TriedWindow: "区社保中心", TriedWhen: "不记得", TriedAnswer: "没有",
			Description: "单位破产以后档案就找不到了，我跑了好几个地方",
		})},
		wantAtts: [][]string{{KindVoice}},
		wantSaid: [][]string{{"单位破产以后档案就找不到了，我跑了好几个地方", "[语音]"}},
		check:    wantSupplements(),
	},
	{
		name: "held: a voice kept during a rating detour reaches another case when the one being supplemented was closed",
		seed: func(d *fakeDesk) {
			d.seed("wm_citizen", "pension", cases.StatusAssigned)
			d.resolved("wm_citizen", "archive", "", "本人")
			d.resolved("wm_citizen", "transfer", "王大爷", "邻居")
		},
		script: `
			我：补充
			办：请发要补充给 BC2611280001 的内容
			我：[点 followup:6]
			办：是哪一件
			我：[语音]
			办：语音收到了
			我：1
			我：钱还是没到账
			办：已重新办理
			办：请发要补充给 BC2611280001 的内容
			（BC2611280001 办结了）
			我：好了
			办：这件事已经办结或撤回了
			办：您发的内容还留着，没有丢。
			办：[1. BC2611280003 社保转移接续]
			我：1
			办：已收到，补充到 BC2611280003`,
		check: wantSupplements(supplemented{Number: "BC2611280003", AttKind: KindVoice}),
	},
	{
		name: "held: words kept for the case spoken about go elsewhere when it was closed meanwhile",
		seed: twoOpen,
		script: `
			我：补充
			我：0002
			我：[照片]
			我：好了
			办：补充完了
			（过了1小时）
			我：退休证复印件我已经交到街道了
			办：是补充到 BC2611280002 吗？
			（BC2611280002 办结了）
			我：是
			办：这件事已经办结或撤回了
			办：[1. BC2611280001 养老保险]
			我：1
			办：已收到，补充到 BC2611280001`,
		check: wantSupplements(
			supplemented{Number: "BC2611280002", AttKind: KindImage},
			supplemented{Number: "BC2611280001", Text: "退休证复印件我已经交到街道了"}),
	},
	{
		name: "held: a photo sent while withdrawing goes to the other open case when the chosen one was closed",
		seed: twoOpen,
		script: `
			我：撤回
			办：要撤回哪一件？
			我：[照片]
			办：照片收到了
			（BC2611280001 办结了）
			我：2
			办：这件事已经办结或撤回了
			办：刚才发的，要补充到哪一件？
			我：1
			办：已收到，补充到 BC2611280002`,
		check: func(t *testing.T, d *fakeDesk) {
			wantSupplements(supplemented{Number: "BC2611280002", AttKind: KindImage})(t, d)
			if len(d.withdrawn) != 0 {
				t.Errorf("withdrawn %v", d.withdrawn)
			}
		},
	},
	{
		name: "held: declined as a new report, a person is asked to look and the photo is still kept",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusAssigned) },
		script: `
			我：撤回
			办：能说说为什么撤回吗？
			（BC2611280001 办结了）
			我：[照片]
			办：这件事已经办结或撤回了
			办：要把它作为一件新的事反映吗？
			我：不用
			办：[转人工]
			办：您发的内容先帮您留着
			（过了2天）
			我：[进入]
			办：要把它作为一件新的事反映吗？
			我：好的
			办：这件事是谁遇到的？
			我：本人
			我：跳过
			我：不知道
			我：没有
			我：1
			我：没有
			办：您前面说的已经记下了
			我：说完了
			办：附件：照片1张
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			Relation: "本人", Consent: "本人", Category: "pension", TriedWindow: "没有", Description: "（见附件：照片1张）",
		})},
		wantAtts: [][]string{{KindImage}},
		check: func(t *testing.T, d *fakeDesk) {
			wantSupplements()(t, d)
			wantHandovers("wm_citizen@BC2611280001")(t, d)
			if len(d.withdrawn) != 0 {
				t.Errorf("withdrawn %v", d.withdrawn)
			}
		},
	},
	{
		name: "held: words waiting for their case during a rating question lapse with the draft, and the citizen is told",
		seed: func(d *fakeDesk) {
			twoOpen(d)
			d.resolved("wm_citizen", "transfer", "", "本人")
			d.resolved("wm_citizen", "retire", "", "本人")
		},
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			（BC2611280002 要补充：请拍档案袋封面）
			我：退休证在我儿子那里，他明天拍给我
			办：刚才发的，要补充到哪一件？
			我：[点 followup:6]
			办：您说的是哪一件？
			（过了8天）
			我：你好
			办：您上次填的内容已超过7天，已经失效了。`,
		check: wantSupplements(),
	},
	{
		name: "held: a voice given as the reason of a follow-up answer, refused because the case was merged meanwhile, reaches another open case",
		seed: func(d *fakeDesk) {
			d.resolved("wm_citizen", "pension", "", "本人")
			d.seed("wm_citizen", "archive", cases.StatusAssigned)
		},
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			办：请说说哪里还没解决？
			我：钱还是没到账
			办：已重新办理
			（BC2611280001 并入 BC2611280002）
			我：[点 rate:BC2611280001:5]
			办：哪里让您不满意？
			我：[语音]
			办：这件事已经办结或撤回了
			办：您发的内容还留着，没有丢。
			办：刚才发的，要补充到哪一件？
			办：[1. BC2611280002 档案问题]
			我：1
			办：已收到，补充到 BC2611280002`,
		check: func(t *testing.T, d *fakeDesk) {
			wantRatings([]rated{{Number: "BC2611280001", Why: "钱还是没到账"}}, nil)(t, d)
			wantSupplements(supplemented{Number: "BC2611280002", AttKind: KindVoice})(t, d)
		},
	},
	{
		name: "held: a photo given as a follow-up reason, refused and with no other case to take it, becomes a new report",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			我：钱还是没到账
			办：已重新办理
			（BC2611280001 撤回了）
			我：[点 rate:BC2611280001:4]
			我：[照片]
			办：这件事已经办结或撤回了
			办：您发的内容还没有交给哪件事
			我：1
			办：作为一件新的事来反映
			办：这件事是谁遇到的？
			我：本人
			我：钱淑芬
			我：不知道
			我：13812345678
			办：这件事属于哪一类？
			我：养老保险
			我：区社保中心
			我：不记得
			我：没有
			我：说完了
			办：请核对
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "钱淑芬", Affected: cases.Person{Name: "钱淑芬", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension",
			TriedWindow: "区社保中心", TriedWhen: "不记得", TriedAnswer: "没有",
			Description: "（见附件：照片1张）",
		})},
		wantAtts: [][]string{{KindImage}},
		check:    wantSupplements(),
	},
	{
		name: "held: a follow-up reason refused in the middle of a withdrawal stops the withdrawal, says so, and goes only where the citizen then says",
		seed: func(d *fakeDesk) {
			d.resolved("wm_citizen", "pension", "", "本人")
			d.seed("wm_citizen", "archive", cases.StatusAssigned)
		},
		script: `
			（BC2611280001 回访）
			我：撤回
			我：已经解决了
			办：确定撤回 BC2611280002 吗？
			（BC2611280001 撤回了）
			我：[点 rate:BC2611280001:5]
			办：哪里让您不满意？
			我：钱还是没到账
			办：这件事已经办结或撤回了
			办：您刚才正在办的那一步先停下了，还没有办理
			办：您发的内容还留着，没有丢。
			办：[1. BC2611280002 档案问题]
			我：1
			办：已收到，补充到 BC2611280002
			我：好了
			我：撤回
			我：跳过
			办：确定撤回 BC2611280002 吗？
			我：确认撤回
			办：已撤回 BC2611280002`,
		check: func(t *testing.T, d *fakeDesk) {
			wantSupplements(supplemented{Number: "BC2611280002", Text: "钱还是没到账"})(t, d)
			if diff := cmp.Diff(map[string]string{"BC2611280002": ""}, d.withdrawn); diff != "" {
				t.Errorf("withdrawn (-want +got):\n%s", diff)
			}
		},
	},
	{
		name: "held: a follow-up reason refused in the middle of a supplement says what was already delivered, and goes only where the citizen then says",
		seed: func(d *fakeDesk) {
			d.resolved("wm_citizen", "pension", "", "本人")
			d.seed("wm_citizen", "archive", cases.StatusAssigned)
		},
		script: `
			（BC2611280001 回访）
			我：补充材料
			我：我的档案在十二号柜第三格
			办：已补充到 BC2611280002
			（BC2611280001 撤回了）
			我：[点 rate:BC2611280001:5]
			办：哪里让您不满意？
			我：钱还是没到账
			办：这件事已经办结或撤回了
			办：您刚才补充给 BC2611280002 的内容已经收到，这次补充先到这里。
			办：您发的内容还留着，没有丢。
			办：[1. BC2611280002 档案问题]
			我：1
			办：已收到，补充到 BC2611280002`,
		check: wantSupplements(
			supplemented{Number: "BC2611280002", Text: "我的档案在十二号柜第三格"},
			supplemented{Number: "BC2611280002", Text: "钱还是没到账"}),
	},
	{
		name: "held: a words reason refused because the case was merged meanwhile reaches another open case",
		seed: func(d *fakeDesk) {
			d.resolved("wm_citizen", "pension", "", "本人")
			d.seed("wm_citizen", "archive", cases.StatusAssigned)
		},
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			我：钱还是没到账
			办：已重新办理
			（BC2611280001 并入 BC2611280002）
			我：[点 rate:BC2611280001:5]
			我：社保中心说要等省里的数据
			办：这件事已经办结或撤回了
			办：您发的内容还留着，没有丢。
			我：1
			办：已收到，补充到 BC2611280002`,
		check: wantSupplements(supplemented{Number: "BC2611280002", Text: "社保中心说要等省里的数据"}),
	},
	{
		name: "held: a voice reason a case being handled again refuses as a rating still reaches that case",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			我：钱还是没到账
			办：已重新办理
			我：[点 rate:BC2611280001:5]
			办：哪里让您不满意？
			我：[语音]
			办：BC2611280001 还在办理中`,
		check: func(t *testing.T, d *fakeDesk) {
			wantRatings([]rated{{Number: "BC2611280001", Why: "钱还是没到账"}}, nil)(t, d)
			wantSupplements(supplemented{Number: "BC2611280001", AttKind: KindVoice})(t, d)
		},
	},
	{
		name: "held: a voice given as a follow-up reason in the middle of a report, refused because the case was withdrawn meanwhile, joins the report",
		seed: mine,
		script: `
			（BC2611280001 回访）
			我：[点 rate:BC2611280001:0]
			我：钱还是没到账
			办：已重新办理
			（BC2611280001 撤回了）
			我：反映问题
			办：这件事是谁遇到的？
			我：本人
			我：钱淑芬
			办：身份证号码
			我：[点 rate:BC2611280001:5]
			办：哪里让您不满意？
			我：[语音]
			办：这件事已经办结或撤回了
			办：语音收到了，会一起交给工作人员
			办：您正在填的内容还在
			办：身份证号码
			我：不知道
			我：13812345678
			办：这件事属于哪一类？
			我：养老保险
			我：区社保中心
			我：不记得
			我：没有
			办：还有要补充的吗
			我：养老金停发三个月了
			我：说完了
			办：请核对
			我：确认
			办：提交成功`,
		want: []cases.Case{reported(cases.Case{
			ReporterName: "钱淑芬", Affected: cases.Person{Name: "钱淑芬", Phone: "13812345678"}, Relation: "本人", Consent: "本人",
			ContactPhone: "13812345678", Category: "pension",
			TriedWindow: "区社保中心", TriedWhen: "不记得", TriedAnswer: "没有",
			Description: "（对 BC2611280001 回访的意见，见附件）\n养老金停发三个月了",
		})},
		wantAtts: [][]string{{KindVoice}},
		check:    wantSupplements(),
	},
}
