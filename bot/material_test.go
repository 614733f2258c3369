package bot

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"banchengshi/cases"
)

// twoOpen stores two open cases of the citizen: BC2611280001 (养老保险) and
// BC2611280002 (档案问题).
func twoOpen(d *fakeDesk) {
	d.seed("wm_citizen", "pension", cases.StatusAssigned)
	d.seed("wm_citizen", "archive", cases.StatusInProgress)
}

// wantSupplements checks what reached the cases, in order.
func wantSupplements(want ...supplemented) func(*testing.T, *fakeDesk) {
	return func(t *testing.T, d *fakeDesk) {
		t.Helper()
		if diff := cmp.Diff(want, d.supplements); diff != "" {
			t.Errorf("supplements (-want +got):\n%s", diff)
		}
	}
}

// materialConversations answer a handler's request for material (补充)
// without typing "补充" first.
var materialConversations = []transcriptCase{
	{
		name: "material: a photo right after the request",
		seed: twoOpen,
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			我：[照片]
			办：已收到，补充到 BC2611280001，工作人员会看到。
			办：还有要补充的吗？发完了回复“好了”。
			办：[发完了]
			我：[照片]
			办：已补充到 BC2611280001
			我：好了
			办：补充完了
			我：你好
			办：请问您要办什么？`,
		check: wantSupplements(
			supplemented{Number: "BC2611280001", AttKind: KindImage},
			supplemented{Number: "BC2611280001", AttKind: KindImage}),
	},
	{
		name: "material: the answer typed as text, then a voice message",
		seed: twoOpen,
		script: `
			（BC2611280002 要补充：您是哪一年进厂的？原单位全称是什么？）
			我：1983年进的国棉三厂，全称是市第三棉纺织厂
			办：已收到，补充到 BC2611280002
			办不含：这件事是谁遇到的
			我：[语音]
			办：已补充到 BC2611280002
			我：发完了
			办：补充完了`,
		check: wantSupplements(
			supplemented{Number: "BC2611280002", Text: "1983年进的国棉三厂，全称是市第三棉纺织厂"},
			supplemented{Number: "BC2611280002", AttKind: KindVoice}),
	},
	{
		name: "material: a number at a fresh menu picks from it, later it answers the request",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusAssigned) },
		script: `
			（BC2611280001 要补充：工资单一共有几张？）
			我：你好
			办：请问您要办什么？
			我：2
			办：BC2611280001（养老保险）
			办不含：补充到
			（过了1小时）
			我：3
			办：已收到，补充到 BC2611280001`,
		check: wantSupplements(supplemented{Number: "BC2611280001", Text: "3"}),
	},
	{
		name: "material: 好的 to the request waits for the material itself",
		seed: twoOpen,
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			我：好的
			办：请发要补充给 BC2611280001 的内容
			我：[照片]
			办：已补充到 BC2611280001`,
		check: wantSupplements(supplemented{Number: "BC2611280001", AttKind: KindImage}),
	},
	{
		name: "material: two cases wait, the citizen is asked which and nothing is lost",
		seed: twoOpen,
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			（BC2611280002 要补充：请拍档案袋封面）
			我：[照片]
			办：收到，先帮您记下了。
			办：有2件事在等您补充材料。
			办：刚才发的，要补充到哪一件？
			办：[1. BC2611280002 档案问题]
			办：[2. BC2611280001 养老保险]
			我：2
			办：已收到，补充到 BC2611280001
			我：好了
			办：补充完了
			我：[照片]
			办：已收到，补充到 BC2611280002`,
		check: wantSupplements(
			supplemented{Number: "BC2611280001", AttKind: KindImage},
			supplemented{Number: "BC2611280002", AttKind: KindImage}),
	},
	{
		name: "material: two cases wait, words are kept until the case is tapped",
		seed: twoOpen,
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			（BC2611280002 要补充：请拍档案袋封面）
			我：退休证在我儿子那里
			办：收到，先帮您记下了。
			办：刚才发的，要补充到哪一件？
			我：他说明天下班回来就给我拍照片
			办：您说的这些已经记下了
			办：刚才发的，要补充到哪一件？
			我：[点 supp_pick:2]
			办：已收到，补充到 BC2611280001
			我：上一步
			办：要补充到哪一件？
			我：取消
			办：不办了`,
		check: wantSupplements(
			supplemented{Number: "BC2611280001", Text: "退休证在我儿子那里"},
			supplemented{Number: "BC2611280001", Text: "他说明天下班回来就给我拍照片"}),
	},
	{
		name: "material: no request, a photo and words start a report as before",
		seed: twoOpen,
		script: `
			我：[照片]
			办：照片收到了，已经记下
			办：这件事是谁遇到的？
			我：取消
			我：我的养老金停发三个月了，社保说认证没通过
			办：您说的情况已经记下了
			办：请问您的姓名？`,
		check: wantSupplements(),
	},
	{
		name: "material: a request already answered is not outstanding",
		seed: twoOpen,
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			我：补充
			办：要补充到哪一件？
			我：0001
			办：请发要补充给 BC2611280001 的内容
			我：[照片]
			办：已补充到 BC2611280001
			我：好了
			办：补充完了
			我：[照片]
			办：照片收到了，已经记下
			办：这件事是谁遇到的？`,
		check: wantSupplements(supplemented{Number: "BC2611280001", AttKind: KindImage}),
	},
	{
		name: "material: a follow-up tap still rates, and a report in progress keeps its photo",
		seed: func(d *fakeDesk) {
			d.seed("wm_citizen", "pension", cases.StatusAssigned)
			d.resolved("wm_citizen", "archive", "", "本人")
		},
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			（BC2611280002 回访）
			我：[点 rate:BC2611280002:2]
			办：谢谢您的评价（满意）
			我：反映问题
			办：这件事是谁遇到的？
			我：[照片]
			办：照片收到了，会一起交给工作人员
			办：这件事是谁遇到的？`,
		check: func(t *testing.T, d *fakeDesk) {
			wantSupplements()(t, d)
			wantRatings([]rated{{Number: "BC2611280002", Rating: 2, Solved: true}}, nil)(t, d)
		},
	},
	{
		name: "material: a case closed meanwhile is explained kindly",
		seed: func(d *fakeDesk) { d.seed("wm_citizen", "pension", cases.StatusAssigned) },
		script: `
			（BC2611280001 要补充：请拍一下退休证）
			我：[照片]
			办：已收到，补充到 BC2611280001
			（BC2611280001 办结了）
			我：[照片]
			办：这件事已经办结或撤回了
			办：要把它作为一件新的事反映吗？
			我：[照片]
			办：照片收到了
			办：要把它作为一件新的事反映吗？
			我：1
			办：您发的内容已经记下了，作为一件新的事来反映
			办：这件事是谁遇到的？`,
		check: wantSupplements(supplemented{Number: "BC2611280001", AttKind: KindImage}),
	},
}
