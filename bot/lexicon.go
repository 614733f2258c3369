package bot

import (
	"slices"
	"strings"
	"unicode"
)

// The words people use for whom they write about: kinship and relation terms,
// colloquial and regional, each mapped to the "谁遇到的" menu's group and to the
// relation the case keeps (a word that reads well in "小李代其母亲王秀兰反映").
//
// No Chinese segmentation library earns its place here: the only pure-Go
// candidates are not in the project's package list, gojieba needs cgo (the
// binary is CGO-free), and the terms are a closed list matched longest first.

// kin is one relation: the group it belongs to, the relation kept, and the
// words that mean it.
type kin struct {
	who, relation string
	words         []string
}

var kinship = []kin{
	{whoFamily, "母亲", []string{"母亲", "老母亲", "妈妈", "老妈", "俺娘", "俺妈", "咱妈", "娘", "妈", "老娘"}},
	{whoFamily, "父亲", []string{"父亲", "老父亲", "爸爸", "老爸", "俺爹", "俺爸", "咱爸", "爹", "爸", "老爷子"}},
	{whoFamily, "外婆", []string{"外婆", "姥姥", "外祖母", "姥"}},
	{whoFamily, "外公", []string{"外公", "姥爷", "外祖父", "老爷"}},
	{whoFamily, "奶奶", []string{"奶奶", "祖母", "俺奶"}},
	{whoFamily, "爷爷", []string{"爷爷", "祖父", "俺爷"}},
	{whoFamily, "配偶", []string{"老伴儿", "老伴", "爱人", "对象", "老头子", "老头儿", "老婆子", "老太婆", "家里那口子", "那口子"}},
	{whoFamily, "丈夫", []string{"丈夫", "老公", "孩子他爸"}},
	{whoFamily, "妻子", []string{"妻子", "老婆", "媳妇儿", "孩子他妈"}},
	{whoFamily, "公公", []string{"公公"}},
	{whoFamily, "婆婆", []string{"婆婆"}},
	{whoFamily, "岳父", []string{"岳父", "老丈人", "丈人"}},
	{whoFamily, "岳母", []string{"岳母", "丈母娘"}},
	{whoFamily, "儿子", []string{"儿子", "儿"}},
	{whoFamily, "女儿", []string{"女儿", "闺女", "姑娘"}},
	{whoFamily, "儿媳", []string{"儿媳妇", "儿媳"}},
	{whoFamily, "女婿", []string{"女婿"}},
	{whoFamily, "孙子", []string{"孙子"}},
	{whoFamily, "孙女", []string{"孙女"}},
	{whoFamily, "哥哥", []string{"哥哥", "大哥", "哥"}},
	{whoFamily, "姐姐", []string{"姐姐", "大姐", "姐"}},
	{whoFamily, "弟弟", []string{"弟弟", "弟"}},
	{whoFamily, "妹妹", []string{"妹妹", "妹"}},
	{whoFamily, "叔叔", []string{"叔叔", "叔", "大爷", "伯伯", "伯父"}},
	{whoFamily, "婶婶", []string{"婶婶", "婶子", "婶"}},
	{whoFamily, "舅舅", []string{"舅舅", "舅"}},
	{whoFamily, "舅妈", []string{"舅妈"}},
	{whoFamily, "姑姑", []string{"姑姑", "姑妈"}},
	{whoFamily, "姨", []string{"阿姨", "姨妈", "大姨", "小姨", "姨"}},
	{whoFamily, "亲戚", []string{"亲戚"}},
	{whoFamily, "", []string{"家里人", "家人", "亲属", "家里的"}}, // the group, not a relation
	{whoNeighbour, "邻居", []string{"邻居", "街坊", "邻里", "楼上的", "楼下的", "楼上", "楼下", "隔壁", "对门的", "对门", "一个院的"}},
	{whoNeighbour, "同事", []string{"老同事", "同事", "工友", "老工友"}},
	{whoNeighbour, "朋友", []string{"老朋友", "朋友", "好友", "哥们", "姐妹"}},
	{whoNeighbour, "同学", []string{"老同学", "同学"}},
	{whoNeighbour, "战友", []string{"老战友", "战友"}},
	{whoNeighbour, "老乡", []string{"老乡", "同乡"}},
	{whoOther, "网格员", []string{"社区网格员", "网格员"}},
	{whoOther, "社区工作人员", []string{"社区工作人员", "社区干部", "居委会"}},
	{whoOther, "志愿者", []string{"志愿者"}},
}

// kinWord is one word of kinship and the relation it means.
type kinWord struct {
	word string
	k    *kin
}

// kinWords are all the words of kinship, longest first.
var kinWords = func() []kinWord {
	var out []kinWord
	for i := range kinship {
		for _, w := range kinship[i].words {
			out = append(out, kinWord{w, &kinship[i]})
		}
	}
	slices.SortStableFunc(out, func(a, b kinWord) int { return runeLen(b.word) - runeLen(a.word) })
	return out
}()

// selfWords mean the reporter is the affected person.
var selfWords = []string{"我本人", "本人", "我自己", "自己", "俺自个儿", "俺自己", "我自个儿", "自个儿", "是我", "我", "俺"}

// relationPrefixes and relationSuffixes are the phrase around a relation
// term: "替我姥姥问问", "是俺爹的事", "帮我外公问一下".
var (
	relationPrefixes = []string{"我想替", "我想帮", "我来替", "我替", "我帮", "替", "帮", "给", "是", "我家", "俺家", "咱家", "我们家", "我的", "俺的", "我", "俺", "咱", "他是我", "她是我", "他是", "她是", "是我"}
	relationSuffixes = []string{"问问", "问一下", "问个事", "反映", "反映一下", "的事情", "的事儿", "的事", "的", "啊", "呀", "吧"}
)

// parseRelation reads an answer that is only a relation, in the phrases
// people use: "我妈", "替我姥姥问问", "是俺爹的事", "楼上的", "老伴". ok is
// false when anything else is left over.
func parseRelation(text string) (k *kin, ok bool) {
	w := squeeze(clean(text))
	for range 3 {
		before := w
		for _, p := range relationPrefixes {
			if rest, found := strings.CutPrefix(w, p); found && rest != "" {
				w = rest
				break
			}
		}
		for _, s := range relationSuffixes {
			if rest, found := strings.CutSuffix(w, s); found && rest != "" {
				w = rest
				break
			}
		}
		if w == before {
			break
		}
	}
	for _, kw := range kinWords {
		if w == kw.word {
			return kw.k, true
		}
	}
	return nil, false
}

// isSelf reports whether an answer to "谁遇到的" means the reporter.
func isSelf(text string) bool {
	w := squeeze(clean(text))
	for _, s := range []string{"的事", "的", "啊", "呀"} {
		w = strings.TrimSuffix(w, s)
	}
	w = strings.TrimPrefix(w, "是")
	return slices.Contains(selfWords, w)
}

// kinIn finds a relation term said with a possessive in a longer message:
// "我妈王秀兰的养老金…", "替我姥姥问问…", "我公公张德福的事". It returns the entry
// and the name right after the term, if one follows ("" otherwise).
func kinIn(text string) (k *kin, name string) {
	s := fold(text)
	best, bestNamed := -1, -1
	var named *kin
	for _, kw := range kinWords {
		if kw.k.relation == "" {
			continue
		}
		owners := []string{"我", "俺", "咱", "替", "帮", "给", "家"}
		if kw.k.who != whoFamily && runeLen(kw.word) >= 2 || runeLen(kw.word) >= 2 && strings.HasPrefix(s, kw.word) {
			owners = []string{""} // "楼上的老太太", "丈母娘的养老金": no owner needed
		}
		for _, owner := range owners {
			i := strings.Index(s, owner+kw.word)
			if i < 0 {
				continue
			}
			rest := s[i+len(owner+kw.word):]
			if runeLen(kw.word) == 1 && !oneCharKinOK(rest) {
				continue
			}
			if best < 0 || i < best {
				best, k = i, kw.k
			}
			// A term followed by a name ("我妈王秀兰") says most.
			if n := nameAfter(rest); n != "" && (bestNamed < 0 || i < bestNamed) {
				bestNamed, named, name = i, kw.k, n
			}
		}
	}
	if named != nil {
		return named, name
	}
	return k, ""
}

// oneCharKinOK reports whether a one-character term ("妈", "爸") is one
// by what follows it: not "我爸爸" (matched whole) nor "我姐夫" (another word).
func oneCharKinOK(rest string) bool {
	r := []rune(rest)
	if len(r) == 0 {
		return true
	}
	return !strings.ContainsRune("夫妹儿子们", r[0])
}

// nameAfter is a person's name at the start of s: two to three Chinese
// characters, the first a common surname, followed by what ends a name ("的",
// punctuation, "今年", "在", …).
func nameAfter(s string) string {
	r := []rune(s)
	if len(r) < 2 || !isSurname(r[0]) {
		return ""
	}
	for n := 3; n >= 2; n-- {
		if len(r) < n {
			continue
		}
		cand := r[:n]
		if !allHan(cand) {
			continue
		}
		rest := string(r[n:])
		if rest == "" || endsName(rest) {
			name := string(cand)
			if !strings.ContainsAny(name, "的了在是今年") {
				return name
			}
		}
	}
	return ""
}

func endsName(rest string) bool {
	for _, p := range []string{"的", "，", ",", "。", " ", "今年", "在", "是", "他", "她", "这", "那", "现在", "以前", "去年", "老人", "退休", "一直", "养老", "社保", "档案", "身份证", "的事"} {
		if strings.HasPrefix(rest, p) {
			return true
		}
	}
	return false
}

func allHan(r []rune) bool {
	for _, c := range r {
		if !unicode.Is(unicode.Han, c) {
			return false
		}
	}
	return true
}

// surnames are the common Chinese surnames, for telling a name from other words.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"

func isSurname(r rune) bool { return strings.ContainsRune(surnames, r) }

// looksLikeName reports whether text can be a person's name or a form of
// address: Chinese characters or letters, at most ten, and not a word that
// answers something else ("她知道", "不清楚", "我要反映问题").
func looksLikeName(text string) bool {
	w := squeeze(clean(text))
	n := runeLen(w)
	if n == 0 || n > 10 {
		return false
	}
	if !strings.ContainsFunc(w, unicode.IsLetter) || strings.ContainsFunc(w, unicode.IsDigit) {
		return false
	}
	if isIntent(w) || is(w, wordsAck) || is(w, wordsSkip) {
		return false
	}
	if _, ok := parseRelation(w); ok {
		return false // "母亲", "我妈": a relation, not a name
	}
	if k, _ := kinIn(w); k != nil && !isSurname([]rune(w)[0]) {
		return false // "母亲", "我妈": a relation, not a name
	}
	for _, bad := range []string{"知道", "同意", "不清楚", "反映", "问题", "什么", "怎么", "为什么", "吗", "呢", "没有", "不是", "是的", "对的", "谢谢", "养老", "社保", "档案", "退休", "电话", "身份证", "号码", "想说", "还有", "我", "他", "她", "让", "帮", "一下"} {
		if strings.Contains(w, bad) {
			return false
		}
	}
	return true
}

// intents are phrases that say what the citizen wants to do, never an
// answer to a question: "我要反映", "还有一件事", "查一下".
var intents = []string{"我要反映问题", "我要反映", "我想反映", "反映问题", "我要投诉", "还有一件事", "还有个事", "还有一个事", "还有件事",
	"还有个事想说一下", "我还有个事", "我还有一件事", "查一下", "查询", "查进度", "我想问问", "我想问一下", "问一下", "我要办事", "我有问题", "我想说一下"}

// isIntent reports whether text is only an intent phrase.
func isIntent(text string) bool {
	w := strings.Trim(squeeze(clean(text)), trailingPunct)
	for _, i := range intents {
		if w == i || strings.HasPrefix(w, i) && runeLen(w) <= runeLen(i)+4 && !looksLikeStory(w, 10) {
			return true
		}
	}
	return false
}

// intentFillers are the words around an intent that tell no problem.
var intentFillers = []string{"我想", "我要", "想要", "我来", "替", "帮", "给", "反映", "一下", "个事", "一个事", "一件事", "问问", "问一下", "问个事",
	"事情", "的事", "情况", "问题", "你好", "您好", "请问", "麻烦", "咨询"}

// tellsProblem reports whether text says something of the problem itself,
// not only that the citizen wants to report it and for whom ("我想替我妈反映个事").
func tellsProblem(text string) bool {
	s := reLongNumber.ReplaceAllString(squeeze(fold(text)), "")
	for _, kw := range kinWords {
		if runeLen(kw.word) >= 2 {
			s = strings.ReplaceAll(s, kw.word, "")
		}
	}
	for _, w := range intentFillers {
		s = strings.ReplaceAll(s, w, "")
	}
	return looksLikeStory(s, 5)
}
