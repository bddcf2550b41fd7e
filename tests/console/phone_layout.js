// What a phone reader could not read on the rendered page (tests/console/phone.py); an empty list when fine.
(() => {
  const W = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''}`
    + ` «${(el.innerText || el.value || '').trim().slice(0, 24)}»`;
  if (document.documentElement.scrollWidth > W + 1) problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${W}`);
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > W + 1 || r.left < -1) problems.push(`${name(el)} sticks out of the screen (${Math.round(r.left)}..${Math.round(r.right)} of ${W})`);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (clips && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} cuts its text off (${el.scrollWidth} > ${el.clientWidth})`);
    for (const node of el.childNodes) {
      const text = node.nodeType === 3 ? node.textContent.trim() : '';
      if (text.length < 6) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].map((q) => Math.round(q.top))).size;
      if (lines >= 3 && text.length / lines < 5) problems.push(`${name(el)} wraps «${text.slice(0, 12)}» into ${lines} lines`);
    }
  }
  return problems;
})()
