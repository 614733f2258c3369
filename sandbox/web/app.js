"use strict";
// The sandbox page: polls the sandbox JSON every second. All URLs are relative
// so the page works under any mount prefix (e.g. /sandbox/).
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { citizen: localStorage.getItem("sbx-citizen") || "", staff: localStorage.getItem("sbx-staff") || "" };
  const kindNames = { image: "图片", voice: "语音", video: "视频", file: "文件" };

  // Two kinds of warning: the sandbox's state (not reachable, no callback
  // address), redrawn on every poll, and the last action's failure, kept until
  // the next action.
  const warnings = { state: "", action: "" };
  function showWarnings() {
    const text = [warnings.state, warnings.action].filter(Boolean).join(" ");
    $("warn").hidden = !text;
    $("warn").textContent = text;
  }
  function warn(text) {
    warnings.action = text || "";
    showWarnings();
  }

  async function post(url, body) {
    try {
      const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const data = await res.json().catch(() => ({}));
      warn(res.ok ? "" : "发送失败：" + (data.error || res.status));
    } catch (e) {
      warn("发送失败：连接不上沙箱。");
    }
    refresh();
  }

  // getJSON fetches a JSON document; a network failure or an error status is
  // thrown, so that the page says the sandbox cannot be reached.
  async function getJSON(url) {
    let res;
    try {
      res = await fetch(url);
    } catch (e) {
      throw unreachable;
    }
    if (!res.ok) throw unreachable;
    return res.json();
  }
  const unreachable = new Error("连接沙箱失败，请确认服务还在运行。");

  function time(at) {
    const d = new Date(at);
    return d.toLocaleString("zh-CN", { hour12: false });
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function renderChat(lines) {
    const box = $("chat");
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
    box.replaceChildren();
    for (const l of lines) {
      const who = l.from === "citizen" ? "我" : l.from === "servicer" ? "人工客服 " + (l.servicer || "") : "办不成事反映窗口";
      const div = el("div", "line " + l.from + (l.errcode ? " refused" : ""));
      div.append(el("div", "meta", who + " · " + time(l.at)));
      if (l.media_id) {
        if (l.msgtype === "image") {
          const img = el("img");
          img.src = "api/media?media_id=" + encodeURIComponent(l.media_id);
          img.alt = l.file_name || "图片";
          div.append(img);
        } else {
          const a = el("a", "", "[" + (kindNames[l.msgtype] || l.msgtype) + "] " + (l.file_name || ""));
          a.href = "api/media?media_id=" + encodeURIComponent(l.media_id);
          div.append(a);
        }
      }
      if (l.text) div.append(el("div", "", l.text));
      if (l.menu && l.menu.length) {
        const menu = el("div", "menu");
        for (const item of l.menu) {
          if (item.type === "click") {
            const b = el("button", "", item.content);
            b.type = "button";
            b.onclick = () => post("api/say", { user: state.citizen, text: item.content, menu_id: item.id });
            menu.append(b);
          } else {
            menu.append(el("div", "", item.content));
          }
        }
        div.append(menu);
      }
      if (l.menu_tail) div.append(el("div", "", l.menu_tail));
      if (l.errcode) div.append(el("div", "fail", "未送达：企业微信拒绝了这条消息（错误码 " + l.errcode + "）"));
      if (l.fail_type) div.append(el("div", "fail", "未送达：对方拒收（fail_type " + l.fail_type + "）"));
      box.append(div);
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function renderInbox(msgs) {
    const box = $("inbox");
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
    box.replaceChildren();
    for (const m of msgs) {
      const div = el("div", "line");
      div.append(el("div", "meta", time(m.at)));
      if (m.card) {
        const c = el("div", "card");
        if (m.card.source) c.append(el("div", "meta", m.card.source));
        if (m.card.title) c.append(el("h3", "", m.card.title));
        if (m.card.desc) c.append(el("div", "meta", m.card.desc));
        if (m.card.sub_title) c.append(el("div", "", m.card.sub_title));
        for (const f of m.card.fields || []) c.append(el("div", "field", f.key + "：" + f.value));
        if (m.card.replaced) {
          c.append(el("div", "replaced", m.card.replaced));
        } else if (m.card.buttons && m.card.buttons.length) {
          const bs = el("div", "buttons");
          for (const b of m.card.buttons) {
            const btn = el("button", "", b.text);
            btn.type = "button";
            btn.onclick = () => post("api/staff/click", { user: state.staff, task_id: m.card.task_id, key: b.key });
            bs.append(btn);
          }
          c.append(bs);
        }
        div.append(c);
      } else {
        if (m.title) div.append(el("strong", "", m.title));
        if (m.text) div.append(el("div", "", m.text));
        if (m.url) {
          const a = el("a", "", "详情");
          a.href = m.url;
          div.append(a);
        }
      }
      box.append(div);
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function fillSelect(sel, values, current) {
    const want = values.map((v) => v.value + "\u0000" + v.label).join("|");
    if (sel.dataset.values !== want) {
      sel.replaceChildren(...values.map((v) => {
        const o = el("option", "", v.label);
        o.value = v.value;
        return o;
      }));
      sel.dataset.values = want;
    }
    if (current) sel.value = current;
  }

  async function refresh() {
    let st;
    try {
      st = await getJSON("api/state");
    } catch (e) {
      warnings.state = unreachable.message;
      showWarnings();
      return;
    }
    warnings.state = st.callback_set ? "" : "系统的回调地址还没有设置，消息暂时送不出去。";
    showWarnings();
    try {
      const citizens = (st.citizens || []).slice();
      if (state.citizen && !citizens.includes(state.citizen)) citizens.push(state.citizen);
      if (!state.citizen) state.citizen = citizens[0] || newCitizenID();
      if (!citizens.includes(state.citizen)) citizens.push(state.citizen);
      fillSelect($("citizen"), citizens.map((c) => ({ value: c, label: c })), state.citizen);
      const staff = st.staff || [];
      if (!state.staff && staff.length) state.staff = staff[0].userid;
      fillSelect($("staff"), staff.map((m) => ({ value: m.userid, label: m.name + "（" + m.userid + "）" })), state.staff);
      renderChat((await getJSON("api/chat?user=" + encodeURIComponent(state.citizen))) || []);
      if (state.staff) renderInbox((await getJSON("api/inbox?user=" + encodeURIComponent(state.staff))) || []);
      document.body.dataset.polled = String(Number(document.body.dataset.polled || 0) + 1);
    } catch (e) {
      // Anything but an unreachable sandbox is a fault of this page: say what.
      warnings.state = e === unreachable ? unreachable.message : "页面出错：" + e;
      showWarnings();
    }
  }

  function newCitizenID() {
    const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let id = "wm";
    for (let i = 0; i < 20; i++) id += chars[Math.floor(Math.random() * chars.length)];
    return id;
  }

  async function sendFile(input, kind) {
    const f = input.files[0];
    if (!f) return;
    const form = new FormData();
    form.append("user", state.citizen);
    form.append("msgtype", kind);
    form.append("file", f, f.name);
    const res = await fetch("api/send", { method: "POST", body: form });
    const data = await res.json().catch(() => ({}));
    warn(res.ok ? "" : "发送失败：" + (data.error || res.status));
    input.value = "";
    refresh();
  }

  $("citizen").onchange = (e) => { state.citizen = e.target.value; localStorage.setItem("sbx-citizen", state.citizen); refresh(); };
  $("staff").onchange = (e) => { state.staff = e.target.value; localStorage.setItem("sbx-staff", state.staff); refresh(); };
  $("newCitizen").onclick = () => { state.citizen = newCitizenID(); localStorage.setItem("sbx-citizen", state.citizen); refresh(); };
  $("enter").onclick = () => post("api/enter", { user: state.citizen });
  $("sayForm").onsubmit = (e) => {
    e.preventDefault();
    const text = $("sayText").value.trim();
    if (!text) return;
    $("sayText").value = "";
    post("api/say", { user: state.citizen, text: text });
  };
  $("staffForm").onsubmit = (e) => {
    e.preventDefault();
    const text = $("staffText").value.trim();
    if (!text || !state.staff) return;
    $("staffText").value = "";
    post("api/staff/say", { user: state.staff, text: text });
  };
  $("voiceFile").onchange = (e) => sendFile(e.target, "voice");
  $("imageFile").onchange = (e) => sendFile(e.target, "image");
  $("fileFile").onchange = (e) => sendFile(e.target, "file");
  $("other").onchange = (e) => {
    const kind = e.target.value;
    e.target.value = "";
    if (kind) post("api/other", { user: state.citizen, msgtype: kind });
  };

  // The fake SMS gateway's texts, to every citizen (numbers masked).
  async function refreshSMS() {
    try {
      const texts = await (await fetch("api/sms")).json();
      if (!texts.length) return;
      const box = $("sms");
      box.replaceChildren();
      for (const t of texts) {
        const div = el("div", "line");
        div.append(el("div", "meta", "发给 " + t.phone + " · " + time(t.at)));
        div.append(el("div", "", t.text));
        box.append(div);
      }
    } catch (e) {
      // refresh() reports a lost connection.
    }
  }

  refresh();
  setInterval(refresh, 1000);
  refreshSMS();
  setInterval(refreshSMS, 2000);
})();
