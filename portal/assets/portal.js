// SPDX-License-Identifier: Apache-2.0
// TraceLedger portal: search, product page, in-browser verification.
// Everything the product page draws comes from the WebAssembly verifier's
// result (decoded from verified bytes); nothing is drawn from the server's
// own rendering of the data.
'use strict';

(function () {
  const S = {
    zh: {
      skip: '跳到正文', brand: 'TraceLedger 追溯查询', searchTitle: '查询产品来源',
      searchLabel: '追溯码（条码下的数字、二维码网址或 EPC 编码）', searchButton: '查询',
      searchHint: '例如 (01)06901234500012(10)LOT1、https://id.gs1.org/01/06901234500012/10/LOT1 或 urn:epc:class:lgtin:…',
      searching: '正在查询…', notFound: '账本上没有这个追溯码的记录。', badId: '无法识别这个追溯码：{d}', apiError: '查询失败：{d}',
      checking: '正在您的浏览器中验证…',
      verified: '已验证：由 {m} 个部门中的 {n} 个签名，区块高度 {h}，{date}。共 {c} 条记录。',
      failed: '验证失败：以下数据未经验证，请勿信赖。',
      noVerifier: '无法启动浏览器内验证程序：{d}',
      unverified: '未验证', verifiedBadge: '已验证',
      timelineTitle: '来源与流向', graphTitle: '追溯图（原料与加工）', linksTitle: '七个环节', certsTitle: '认证',
      creditTitle: '企业信用', detailsTitle: '验证了什么', trustTitle: '信任根',
      trustText: '本页只信任它携带的创世文件。请与各部门公布的链标识和创世哈希核对，并可将其固定。',
      chainId: '链标识', genesisHash: '创世哈希', pinned: '已固定', notPinned: '未固定', pinButton: '固定此信任根',
      unpinButton: '取消固定', pinLabel: '要固定的创世哈希', pinOther: '固定其他哈希', download: '下载创世文件',
      pinMismatch: '已固定另一个创世哈希：{p}', pinBad: '请输入 64 位十六进制哈希',
      footer: '数据由各部门验证节点共同签名；本页在您的设备上验证。',
      recallTitle: '召回警告', recallLevel: '{l}级召回', recallCovers: '涉及：{w}', thisProduct: '本产品', input: '原料 {id}',
      recallDo: '请立即停止使用或食用，保留包装，联系购买处退货，或拨打 12315。', recallBy: '召回企业：{e}', recallReason: '原因：{r}',
      recallUnverified: '（此召回信息未经验证）',
      step: '环节', actor: '记录方', place: '地点', link: '七环节', of: '属于 {id}',
      evType: { object: '物品事件', aggregation: '装箱', transaction: '交易', transformation: '加工', association: '关联' },
      kinds: { attestation_issued: '颁发认证', attestation_status: '认证状态变更', recall: '召回', complaint: '投诉', violation: '违规', participant_status_changed: '状态变更', event: '事件', epcis_event: '事件' },
      links: { origin_environment_certification: '产地环境认证', product_certification: '产品认证', input_use: '投入品使用',
        production_record: '生产记录', packaging_label: '包装标识', origin_exit: '产地准出', market_access: '市场准入' },
      linkPresent: '已记录', linkMissing: '未记录', noLinks: '不是农产品批次，或没有记录环节。',
      rel: { made_from: '原料', of_lot: '批次', transformed_into: '加工成', aggregated_into: '装入', contains: '包含', includes: '包括' },
      graphCaption: '{n} 个标识，{e} 条关系（箭头：原料流向产品）', noGraph: '没有追溯图。',
      certNone: '没有找到认证。', certValid: '有效期 {f} 至 {u}', certStatusNow: '当前状态：{s}', certIssuer: '认证机构：{i}',
      certNo: '证书号 {n}',
      status: { valid: '有效', suspended: '暂停', withdrawn: '撤销', cancelled: '注销', active: '正常', removed: '已除名', unspecified: '未知' },
      creditNone: '没有读取企业信用。', creditCode: '统一社会信用代码 {c}', creditStatus: '状态：{s}',
      creditCounts: '召回 {r} 次，投诉 {c} 次，违规 {v} 次，暂停 {s} 次', creditReason: '原因：{r}',
      levels: { 1: '一', 2: '二', 3: '三' },
      schemes: { gap: '良好农业规范（GAP）', organic: '有机产品', green_food: '绿色食品', geographical_indication: '地理标志产品', haccp: 'HACCP',
        iso22000: 'ISO 22000', gmp: 'GMP', gsp: 'GSP', ccc: '3C 强制认证', origin_environment: '产地环境', quarantine: '检疫', test_report: '检验报告', other: '其他' },
      moreErrors: '另有 {n} 项',
      bizsteps: { commissioning: '赋码', harvesting: '采收', planting: '种植', shipping: '发货', receiving: '收货', packing: '包装',
        transforming: '加工', inspecting: '检验', retail_selling: '零售', storing: '储存', accepting: '验收', sampling: '抽样',
        departing: '离开', arriving: '到达', loading: '装车', unloading: '卸车', sensor_reporting: '传感记录', destroying: '销毁' }
    },
    en: {
      skip: 'Skip to content', brand: 'TraceLedger trace lookup', searchTitle: 'Where does this product come from?',
      searchLabel: 'Trace code (the digits under a barcode, a QR-code URL or an EPC URI)', searchButton: 'Look up',
      searchHint: 'For example (01)06901234500012(10)LOT1, https://id.gs1.org/01/06901234500012/10/LOT1 or urn:epc:class:lgtin:…',
      searching: 'Looking up…', notFound: 'The ledger has no record of this trace code.', badId: 'This is not a trace code the ledger reads: {d}', apiError: 'The lookup failed: {d}',
      checking: 'Verifying in your browser…',
      verified: 'Verified by {n} of {m} departments at height {h}, on {date}. {c} records.',
      failed: 'Verification FAILED: the data below is NOT verified. Do not rely on it.',
      noVerifier: 'The in-browser verifier could not start: {d}',
      unverified: 'unverified', verifiedBadge: 'verified',
      timelineTitle: 'Where it came from and went', graphTitle: 'Trace-back graph (inputs and processing)', linksTitle: 'The seven links', certsTitle: 'Certifications',
      creditTitle: 'Enterprise credit', detailsTitle: 'What was verified', trustTitle: 'Trust root',
      trustText: 'This page trusts only the genesis document it carries. Compare the chain id and genesis hash with the ones the departments publish, and pin them.',
      chainId: 'Chain id', genesisHash: 'Genesis hash', pinned: 'Pinned', notPinned: 'not pinned', pinButton: 'Pin this trust root',
      unpinButton: 'Unpin', pinLabel: 'Genesis hash to pin', pinOther: 'Pin another hash', download: 'Download the genesis document',
      pinMismatch: 'Another genesis hash is pinned: {p}', pinBad: 'Give a 64-digit hexadecimal hash',
      footer: 'The data is signed by the departments\u2019 validators together; this page verifies it on your device.',
      recallTitle: 'RECALL', recallLevel: 'Level {l} recall', recallCovers: 'Covers: {w}', thisProduct: 'this product', input: 'input {id}',
      recallDo: 'Stop using or eating it now, keep the package, return it where you bought it, or call 12315.', recallBy: 'Recalled by: {e}', recallReason: 'Reason: {r}',
      recallUnverified: '(this recall is not verified)',
      step: 'Step', actor: 'Recorded by', place: 'Place', link: 'Link', of: 'of {id}',
      evType: { object: 'object event', aggregation: 'packing', transaction: 'transaction', transformation: 'processing', association: 'association' },
      kinds: { attestation_issued: 'certification issued', attestation_status: 'certification status changed', recall: 'recall', complaint: 'complaint', violation: 'violation', participant_status_changed: 'status change', event: 'event', epcis_event: 'event' },
      links: { origin_environment_certification: 'Origin environment certification', product_certification: 'Product certification', input_use: 'Use of inputs',
        production_record: 'Production record', packaging_label: 'Packaging and label', origin_exit: 'Origin exit', market_access: 'Market access' },
      linkPresent: 'recorded', linkMissing: 'not recorded', noLinks: 'Not an agricultural lot, or no link recorded.',
      rel: { made_from: 'made from', of_lot: 'of lot', transformed_into: 'made into', aggregated_into: 'packed into', contains: 'contains', includes: 'includes' },
      graphCaption: '{n} identifiers, {e} links (arrows: inputs flow into the product)', noGraph: 'No trace graph.',
      certNone: 'No certification found.', certValid: 'Valid {f} to {u}', certStatusNow: 'Status now: {s}', certIssuer: 'Certified by: {i}',
      certNo: 'Certificate {n}',
      status: { valid: 'valid', suspended: 'suspended', withdrawn: 'withdrawn', cancelled: 'cancelled', active: 'active', removed: 'removed', unspecified: 'unknown' },
      creditNone: 'No enterprise credit read.', creditCode: 'Unified social credit code {c}', creditStatus: 'Status: {s}',
      creditCounts: '{r} recalls, {c} complaints, {v} violations, {s} suspensions', creditReason: 'Reason: {r}',
      levels: { 1: '1', 2: '2', 3: '3' },
      schemes: { gap: 'Good Agricultural Practice (GAP)', organic: 'Organic', green_food: 'Green Food', geographical_indication: 'Geographical indication',
        haccp: 'HACCP', iso22000: 'ISO 22000', gmp: 'GMP', gsp: 'GSP', ccc: 'CCC', origin_environment: 'Origin environment', quarantine: 'Quarantine', test_report: 'Test report', other: 'Other' },
      moreErrors: '{n} more',
      bizsteps: {}
    }
  };

  let lang = localStorage.getItem('tl-lang') === 'en' ? 'en' : 'zh';
  const trust = JSON.parse(document.getElementById('tl-trust').textContent);
  const $ = (id) => document.getElementById(id);
  let last = null; // the last verification result, re-rendered on a language switch

  function t(key, args) {
    let s = S[lang][key];
    if (s === undefined) s = S.zh[key];
    if (typeof s !== 'string') return key;
    return s.replace(/\{(\w+)\}/g, (_, k) => (args && args[k] !== undefined ? String(args[k]) : ''));
  }
  function tt(table, key) {
    const v = (S[lang][table] || {})[key];
    return v !== undefined ? v : key;
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  }
  const enc = encodeURIComponent;

  function applyLang() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
    const b = $('lang');
    b.textContent = lang === 'zh' ? 'English' : '中文';
    b.lang = lang === 'zh' ? 'en' : 'zh';
    b.setAttribute('aria-label', lang === 'zh' ? 'English' : '中文');
    showPin();
    if (last) render(last.out, last.ms);
  }

  // Identifiers: the digits under a barcode and GS1 element strings become
  // Digital Links; everything else goes to the API, which canonicalises it.
  function normalise(q) {
    q = q.trim();
    const digits = q.replace(/\s+/g, '');
    if (/^\d{8}$|^\d{12,14}$/.test(digits)) return 'https://id.gs1.org/01/' + digits.padStart(14, '0');
    let m = /^\(01\)(\d{14})(?:\(10\)([^()]+))?(?:\(21\)([^()]+))?$/.exec(digits);
    if (!m) m = /^01(\d{14})(?:10([^\x1d]+?))?(?:\x1d?21(.+))?$/.exec(digits);
    if (m) {
      let dl = 'https://id.gs1.org/01/' + m[1];
      if (m[2]) dl += '/10/' + enc(m[2]);
      if (m[3]) dl += '/21/' + enc(m[3]);
      return dl;
    }
    return q;
  }

  function shortId(id) {
    const m = /\/01\/(\d{14})(?:\/10\/([^/?]+))?(?:\/21\/([^/?]+))?/.exec(id);
    if (m) {
      let s = 'GTIN ' + m[1];
      if (m[2]) s += (lang === 'zh' ? ' 批次 ' : ' lot ') + decodeURIComponent(m[2]);
      if (m[3]) s += (lang === 'zh' ? ' 序列号 ' : ' serial ') + decodeURIComponent(m[3]);
      return s;
    }
    const parts = id.split(/[:/]/).filter(Boolean);
    return parts.slice(-2).join(':') || id;
  }

  // nodeLabel is a graph node's two lines: the lot or serial, and the
  // product key.
  function nodeLabel(id) {
    const m = /\/01\/(\d{14})(?:\/10\/([^/?]+))?(?:\/21\/([^/?]+))?/.exec(id);
    if (m) {
      const sub = 'GTIN ' + m[1];
      if (m[3]) return [(lang === 'zh' ? '序列号 ' : 'serial ') + decodeURIComponent(m[3]), sub];
      if (m[2]) return [(lang === 'zh' ? '批次 ' : 'lot ') + decodeURIComponent(m[2]), sub];
      return [sub, ''];
    }
    return [shortId(id), ''];
  }

  function bizStep(s) {
    if (!s) return '';
    const w = s.replace(/^urn:epcglobal:cbv:bizstep:/, '').replace(/^https?:\/\/ref\.gs1\.org\/cbv\/BizStep-/, '');
    return tt('bizsteps', w);
  }

  function fmtTime(ms) {
    if (!ms) return '';
    return new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  }
  function fmtDate(ms) {
    if (!ms) return '';
    return new Date(ms).toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium' });
  }

  async function api(path) {
    const res = await fetch(path, { headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await res.json(); } catch (_) { body = null; }
    return { status: res.status, ok: res.ok, body };
  }

  // The verifier.
  let verifierReady = null;
  function startVerifier() {
    if (verifierReady) return verifierReady;
    verifierReady = new Promise((resolve, reject) => {
      if (typeof Go !== 'function' || typeof WebAssembly !== 'object') {
        reject(new Error('WebAssembly is not available'));
        return;
      }
      window.traceledgerReady = () => resolve();
      const go = new Go();
      const load = WebAssembly.instantiateStreaming
        ? WebAssembly.instantiateStreaming(fetch('/assets/verifier.wasm'), go.importObject)
        : fetch('/assets/verifier.wasm').then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, go.importObject));
      load.then((r) => { go.run(r.instance); }).catch(reject);
    });
    return verifierReady;
  }

  // Search.
  async function search(ev) {
    ev.preventDefault();
    const q = $('q').value;
    if (!q.trim()) return;
    const out = $('search-result');
    out.textContent = t('searching');
    const id = normalise(q);
    const r = await api('/v1/history/' + enc(id));
    if (r.ok && r.body && r.body.data) {
      location.assign('/portal/p/' + enc(r.body.data.canonical));
      return;
    }
    const p = r.body || {};
    if (r.status === 404) out.textContent = t('notFound');
    else if (r.status === 400) out.textContent = t('badId', { d: p.detail || '' });
    else out.textContent = t('apiError', { d: p.detail || r.status });
  }

  // The product page.
  async function product(id) {
    $('search').hidden = true;
    $('product').hidden = false;
    $('product-title').textContent = shortId(id);
    $('product-id').textContent = id;
    const verifier = startVerifier();
    verifier.catch(() => {});
    const hist = await api('/v1/history/' + enc(id));
    if (!hist.ok) {
      setVerdict('failed', hist.status === 404 ? t('notFound') : t('apiError', { d: (hist.body && hist.body.detail) || hist.status }), []);
      return;
    }
    const canonical = hist.body.data.canonical;
    if (canonical !== id) history.replaceState(null, '', '/portal/p/' + enc(canonical));
    $('product-id').textContent = canonical;
    $('product-title').textContent = shortId(canonical);
    let answers = await gather(canonical, hist, '?height=' + hist.body.height);
    if (!answers) answers = await gather(canonical, hist, '');
    if (!answers) {
      setVerdict('failed', t('apiError', { d: 'bundle' }), []);
      return;
    }
    const input = {
      genesis: trust.genesis, pin: localStorage.getItem('tl-pin') || '', product: canonical,
      bundle: answers.bundle, answers: answers.list, trace: true
    };
    try {
      await verifier;
    } catch (e) {
      setVerdict('failed', t('noVerifier', { d: e.message }), []);
      return;
    }
    const t0 = performance.now();
    const out = JSON.parse(window.traceledgerVerify(JSON.stringify(input)));
    const ms = performance.now() - t0;
    last = { out, ms };
    render(out, ms);
  }

  // gather reads what the product page shows, at one state height when
  // suffix names it (null when the node no longer keeps that height).
  async function gather(canonical, hist, suffix) {
    const [bundle, tr] = await Promise.all([
      api('/v1/bundles/' + enc(canonical) + suffix), api('/v1/trace/back/' + enc(canonical) + suffix)]);
    const gone = (r) => r.status === 404 && r.body && r.body.code === 32;
    if (gone(bundle) || gone(tr)) return null;
    if (!bundle.ok) return null;
    const list = [hist.body];
    if (tr.ok) list.push(tr.body);
    const ids = new Set();
    for (const r of hist.body.data.records || []) if (r.record && r.record.signer) ids.add(r.record.signer);
    const g = tr.ok ? tr.body.data.graph : null;
    for (const p of (g && g.participants) || []) ids.add(p);
    const extra = [];
    for (const p of [...ids].slice(0, 8)) extra.push(api('/v1/credit/' + enc(p) + suffix));
    for (const a of ((g && g.attestations) || []).slice(0, 8)) extra.push(api('/v1/attestations/' + enc(a) + suffix));
    for (const r of await Promise.all(extra)) if (r.ok && r.body && r.body.evidence) list.push(r.body);
    return { bundle: bundle.body, list };
  }

  function setVerdict(state, text, errors) {
    const v = $('verdict');
    v.className = 'verdict ' + state;
    v.dataset.state = state;
    $('verdict-text').textContent = text;
    const ul = $('verdict-errors');
    const shown = errors.slice(0, 5).map((e) => el('li', { text: e }));
    if (errors.length > 5) shown.push(el('li', { text: t('moreErrors', { n: errors.length - 5 }) }));
    ul.replaceChildren(...shown);
  }

  function name(out, id) {
    const p = out.participants[id];
    return p && p.name ? p.name : id;
  }

  function badge(out) {
    return out.verified ? el('span', { class: 'badge ok', text: t('verifiedBadge') }) : el('span', { class: 'badge bad', text: t('unverified') });
  }

  function render(out, ms) {
    const v = $('verdict');
    v.dataset.height = out.state_height;
    v.dataset.records = out.history ? out.history.count : 0;
    v.dataset.verifyMs = ms.toFixed(1);
    v.dataset.checked = out.records_checked;
    if (out.verified) {
      setVerdict('verified', t('verified', {
        n: out.header.signed, m: out.header.validators, h: out.state_height,
        date: fmtTime(Date.parse(out.header.time)), c: out.history ? out.history.count : 0
      }), []);
    } else {
      setVerdict('failed', t('failed'), out.errors);
    }
    $('product').classList.toggle('unverified', !out.verified);
    renderRecall(out);
    renderTimeline(out);
    renderGraph(out);
    renderLinks(out);
    renderCerts(out);
    renderCredit(out);
    $('checks').replaceChildren(...out.checks.map((c) => el('li', { text: c })),
      el('li', { text: (lang === 'zh' ? '验证用时 ' : 'verified in ') + ms.toFixed(1) + ' ms' }));
  }

  function renderRecall(out) {
    const box = $('recall');
    const recalls = out.recalls.filter((r) => r.recall);
    if (!recalls.length) { box.hidden = true; box.replaceChildren(); return; }
    const kids = [el('h2', { text: '⚠ ' + t('recallTitle') })];
    for (const r of recalls) {
      const rc = r.recall;
      const covers = (rc.covers || []).map((c) => (c === out.product ? t('thisProduct') : t('input', { id: shortId(c) })));
      kids.push(el('p', {}, el('strong', { text: t('recallLevel', { l: tt('levels', rc.level) }) + ' · ' + (rc.hazard || rc.reason || '') })));
      if (covers.length) kids.push(el('p', { text: t('recallCovers', { w: covers.join(', ') }) }));
      if (rc.reason) kids.push(el('p', { text: t('recallReason', { r: rc.reason }) }));
      kids.push(el('p', { text: t('recallBy', { e: name(out, rc.enterprise) }) + ' · ' + fmtTime(r.time_ms) }));
    }
    kids.push(el('p', {}, el('strong', { text: t('recallDo') })));
    if (!out.verified) kids.push(el('p', { text: t('recallUnverified') }));
    box.replaceChildren(...kids);
    box.hidden = false;
  }

  function recordsOf(out) {
    const subjects = out.graph ? out.graph.nodes : [out.product];
    const seen = new Map();
    for (const s of subjects) {
      const h = out.histories[s];
      if (!h) continue;
      for (const r of h.records) if (!seen.has(r.index)) seen.set(r.index, { r, subject: s });
    }
    return [...seen.values()].sort((a, b) => when(a.r) - when(b.r) || a.r.index - b.r.index);
  }
  function when(r) { return (r.event && r.event.event_time_ms) || r.time_ms; }

  function renderTimeline(out) {
    const ol = $('timeline');
    const items = [];
    for (const { r, subject } of recordsOf(out)) {
      const lines = [];
      let what = tt('kinds', r.kind);
      if (r.event) {
        const e = r.event;
        what = bizStep(e.biz_step) || tt('evType', e.type) || what;
        if (e.type && e.biz_step) what += ' · ' + tt('evType', e.type);
        if (e.read_point || e.biz_location) lines.push(t('place') + ': ' + (e.biz_location || e.read_point));
        if (e.chain_link) lines.push(t('link') + ': ' + tt('links', e.chain_link));
      } else if (r.attestation) {
        what += ' · ' + r.attestation.id;
      } else if (r.recall) {
        what += ' · ' + (r.recall.hazard || r.recall.reason || r.recall.id);
      }
      lines.push(t('actor') + ': ' + name(out, r.signer));
      if (subject !== out.product) lines.push(t('of', { id: shortId(subject) }));
      const li = el('li', { class: r.recall ? 'recall-item' : '', 'data-index': r.index },
        el('div', { class: 'when', text: fmtTime(when(r)) }),
        el('div', { class: 'what' }, what, badge(out)),
        ...lines.map((l) => el('div', { class: 'muted', text: l })));
      items.push(li);
    }
    ol.replaceChildren(...items);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) if (k) e.append(k);
    return e;
  }

  function renderGraph(out) {
    const fig = $('graph');
    const g = out.graph;
    if (!g || !g.nodes || !g.nodes.length) { fig.replaceChildren(el('figcaption', { text: t('noGraph') })); return; }
    const depth = new Map([[g.root, 0]]);
    const queue = [g.root];
    while (queue.length) {
      const n = queue.shift();
      for (const e of g.edges) if (e.from === n && !depth.has(e.to)) { depth.set(e.to, depth.get(n) + 1); queue.push(e.to); }
    }
    for (const n of g.nodes) if (!depth.has(n)) depth.set(n, 0);
    const rows = [];
    for (const n of g.nodes) { const d = depth.get(n); (rows[d] = rows[d] || []).push(n); }
    const W = 170, H = 66, GX = 20, GY = 56, PAD = 12;
    const widest = Math.max(...rows.map((r) => (r ? r.length : 0)));
    const width = Math.max(widest * (W + GX) - GX + 2 * PAD, 320);
    const height = rows.length * (H + GY) - GY + 2 * PAD;
    const pos = new Map();
    rows.forEach((r, d) => {
      if (!r) return;
      const rowW = r.length * (W + GX) - GX;
      r.forEach((n, i) => pos.set(n, { x: (width - rowW) / 2 + i * (W + GX), y: PAD + d * (H + GY) }));
    });
    const recalled = new Set();
    for (const r of out.recalls) for (const c of (r.recall && r.recall.covers) || []) recalled.add(c);
    const title = svg('title', { id: 'graph-title' });
    title.textContent = t('graphTitle');
    const desc = svg('desc', { id: 'graph-desc' });
    desc.textContent = g.edges.map((e) => shortId(e.from) + ' ' + tt('rel', e.rel) + ' ' + shortId(e.to)).join('; ');
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'graph-title graph-desc' }, title, desc,
      svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#4a4a4a' }))));
    for (const e of g.edges) {
      const a = pos.get(e.from), b = pos.get(e.to);
      if (!a || !b) continue;
      // Material flows from the input (to) into the product (from).
      const x1 = b.x + W / 2, y1 = b.y, x2 = a.x + W / 2, y2 = a.y + H;
      const line = svg('line', { class: 'edge', x1, y1, x2, y2: y2 + 4, 'marker-end': 'url(#arrow)' });
      root.append(line);
      const lbl = svg('text', { class: 'edge-label', x: (x1 + x2) / 2 + 4, y: (y1 + y2) / 2 });
      lbl.textContent = tt('rel', e.rel);
      root.append(lbl);
    }
    for (const n of g.nodes) {
      const p = pos.get(n);
      const cls = 'node' + (n === g.root ? ' root' : '') + (recalled.has(n) ? ' recalled' : '');
      const [main, sub] = nodeLabel(n);
      const fit = (s, max) => (s.length > max ? s.slice(0, max - 1) + '…' : s);
      const l1 = svg('text', { class: 'main', x: p.x + 8, y: p.y + 20 });
      l1.textContent = fit(main, 18);
      const l2 = svg('text', { x: p.x + 8, y: p.y + 38 });
      l2.textContent = fit(sub, 22);
      const l3 = svg('text', { x: p.x + 8, y: p.y + 56 });
      const disp = g.last_disposition && g.last_disposition[n];
      l3.textContent = recalled.has(n) ? '⚠ ' + t('recallTitle') : (disp ? disp.replace(/^.*[:/-]/, '') : '');
      const tip = svg('title');
      tip.textContent = n;
      root.append(svg('g', { class: cls }, tip, svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6 }), l1, l2, l3));
    }
    fig.replaceChildren(root, el('figcaption', { text: t('graphCaption', { n: g.nodes.length, e: g.edges.length }) }));
  }

  const SEVEN = ['origin_environment_certification', 'product_certification', 'input_use', 'production_record', 'packaging_label', 'origin_exit', 'market_access'];
  function renderLinks(out) {
    const ul = $('links');
    const sl = out.seven_links;
    if (!sl || !Object.keys(sl.present || {}).length) { ul.replaceChildren(el('li', { text: t('noLinks') })); return; }
    ul.replaceChildren(...SEVEN.map((l) => {
      const n = (sl.present[l] || []).length;
      return el('li', { class: n ? 'present' : 'missing' }, (n ? '✓ ' : '✗ ') + tt('links', l) + ' — ' + (n ? t('linkPresent') + ' (' + n + ')' : t('linkMissing')));
    }));
  }

  function statusSpan(s) {
    const good = s === 'valid' || s === 'active';
    return el('span', { class: good ? 'status-good' : 'status-bad', text: tt('status', s) });
  }

  function renderCerts(out) {
    const ul = $('certs');
    const issued = out.certifications.filter((r) => r.attestation && r.attestation.scheme);
    if (!issued.length) { ul.replaceChildren(el('li', { text: t('certNone') })); return; }
    ul.replaceChildren(...issued.map((r) => {
      const a = r.attestation;
      const now = out.attestations[a.id];
      const status = now ? now.status : a.status;
      return el('li', {},
        el('h3', { text: tt('schemes', a.scheme || '') + (a.standard ? ' · ' + a.standard : '') }),
        el('p', { text: t('certNo', { n: a.certificate_number || a.id }) }),
        el('p', { text: t('certIssuer', { i: name(out, a.issuer) }) }),
        el('p', { text: t('certValid', { f: fmtDate(a.valid_from_ms), u: fmtDate(a.valid_until_ms) }) }),
        el('p', {}, t('certStatusNow', { s: '' }), statusSpan(status), badge(out)));
    }));
  }

  function renderCredit(out) {
    const ul = $('credit');
    const ids = Object.keys(out.credit).filter((id) => out.credit[id].enterprise && out.credit[id].enterprise.role === 'enterprise');
    if (!ids.length) { ul.replaceChildren(el('li', { text: t('creditNone') })); return; }
    ul.replaceChildren(...ids.map((id) => {
      const c = out.credit[id];
      const e = c.enterprise;
      const susp = c.status_changes.filter((r) => r.status && r.status.to === 'suspended').length;
      const kids = [el('h3', { text: e.name || id }),
        el('p', {}, t('creditStatus', { s: '' }), statusSpan(e.status), badge(out))];
      if (e.credit_code) kids.push(el('p', { class: 'muted', text: t('creditCode', { c: e.credit_code }) }));
      if (e.status !== 'active' && e.status_reason) kids.push(el('p', { text: t('creditReason', { r: e.status_reason }) }));
      kids.push(el('p', { text: t('creditCounts', { r: c.recalls.length, c: c.complaints.length, v: c.violations.length, s: susp }) }));
      return el('li', {}, ...kids);
    }));
  }

  // Trust root pinning.
  function showPin() {
    const pin = localStorage.getItem('tl-pin');
    const d = $('trust-pin');
    if (!pin) { d.textContent = t('notPinned'); d.removeAttribute('data-i18n'); return; }
    d.removeAttribute('data-i18n');
    d.textContent = pin.toLowerCase() === String(trust.genesis_hash).toLowerCase() ? pin : t('pinMismatch', { p: pin });
    d.className = 'hash';
  }

  function init() {
    $('lang').addEventListener('click', () => { lang = lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('tl-lang', lang); applyLang(); });
    $('search-form').addEventListener('submit', search);
    $('pin').addEventListener('click', () => { localStorage.setItem('tl-pin', $('trust-hash').textContent.trim()); showPin(); });
    $('unpin').addEventListener('click', () => { localStorage.removeItem('tl-pin'); showPin(); });
    $('pin-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = $('pin-input').value.trim();
      if (!/^[0-9a-fA-F]{64}$/.test(v)) { $('trust-pin').textContent = t('pinBad'); return; }
      localStorage.setItem('tl-pin', v.toLowerCase());
      showPin();
    });
    applyLang();
    // The genesis hash shown is the verifier's own, from the bytes the
    // page carries, once it runs.
    startVerifier().then(() => {
      const r = JSON.parse(window.traceledgerTrustRoot(trust.genesis));
      if (r.error) { $('trust-hash').textContent = r.error; return; }
      $('trust-chain').textContent = r.chain_id;
      $('trust-hash').textContent = r.genesis_hash;
      trust.genesis_hash = r.genesis_hash;
      showPin();
    }).catch(() => {});
    const m = /^\/portal\/p\/([^/]+)$/.exec(location.pathname);
    if (m) product(decodeURIComponent(m[1]));
    else {
      const q = new URLSearchParams(location.search).get('q');
      if (q) { $('q').value = q; search(new Event('submit')); }
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
