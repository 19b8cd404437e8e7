/*
 * Gridmap: what the page scripts share (loaded before each of them).
 *
 * GridmapDom.el(tag, className, text, parent): a DOM element with a class and text. Text is set
 * as textContent, never through innerHTML, so names from the database cannot inject markup.
 */
(function () {
  'use strict';

  function el(tag, className, text, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  window.GridmapDom = {el: el};
})();
