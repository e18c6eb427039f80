// TRS pagination helper: the CMS writes createPageHTML(count, current, prefix, ext) into every list page.
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {
  // the static links the replica also prints make the script's output redundant
  if (_nPageCount == null || _nPageCount <= 1 || document.getElementById("pagelinks")) { return; }
  var name = function (i) { return i == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt; };
  var out = [];
  out.push(_nCurrIndex == 0 ? "<span>首页</span>" : "<a href=\"" + name(0) + "\">首页</a>");
  out.push(_nCurrIndex == 0 ? "<span>上一页</span>" : "<a href=\"" + name(_nCurrIndex - 1) + "\">上一页</a>");
  out.push(_nCurrIndex + 1 >= _nPageCount ? "<span>下一页</span>" : "<a href=\"" + name(_nCurrIndex + 1) + "\">下一页</a>");
  out.push(_nCurrIndex + 1 >= _nPageCount ? "<span>尾页</span>" : "<a href=\"" + name(_nPageCount - 1) + "\">尾页</a>");
  document.write(out.join(" "));
}
function doZoom(size) {
  var zoom = document.getElementById("zoom");
  if (zoom) { zoom.style.fontSize = size + "px"; }
}
