import assert from 'node:assert/strict';
import { test } from 'node:test';

import { float64Serde, Pipeline, stringSerde } from '../index.js';
import { pipelineDiagram } from './jobDiagram.js';
import { escapeXml, renderSvg } from './svg.js';

const text = { key: stringSerde, value: stringSerde };

function repartitionPipeline(input = 'plays'): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source(input, text, { name: 'plays-in' })
    .selectKey((r) => r.value, { name: 'video-key' })
    .groupByKey({ name: 'by-video', serdes: text })
    .count({ name: 'plays-per-video' })
    .toStream()
    .to('video-counts', { key: stringSerde, value: float64Serde }, { name: 'counts-out' });
  return pipeline;
}

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

/**
 * A strict check that `xml` is well-formed, enough for what the renderer writes: one root,
 * properly nested tags, quoted unique attributes, no `<` in text or attributes, and `&` only
 * in the five predefined entities or character references. Returns the element tree.
 */
function parseXml(xml: string): XmlElement {
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const decode = (raw: string, where: string): string => {
    assert.ok(!raw.includes('<'), `'<' in ${where}: ${raw}`);
    assert.ok(!raw.replace(entity, '').includes('&'), `bare '&' in ${where}: ${raw}`);
    return raw
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  const token =
    /<\?xml[^?]*\?>|<!--[\s\S]*?-->|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z][\w:.-]*\s*=\s*"[^"]*")*)\s*(\/?)>|([^<]+)/gy;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let position = 0;
  while (position < xml.length) {
    token.lastIndex = position;
    const match = token.exec(xml);
    assert.ok(match !== null, `not XML at ${position}: ${xml.slice(position, position + 60)}`);
    position = token.lastIndex;
    const [whole, closing, opening, attributeText, selfClosing, chars] = match;
    const parent = stack[stack.length - 1];
    if (chars !== undefined) {
      assert.ok(parent !== undefined || chars.trim() === '', `text outside the root: ${chars}`);
      if (parent !== undefined) {
        parent.text += decode(chars, `<${parent.name}>`);
      }
    } else if (closing !== undefined) {
      assert.equal(stack.pop()?.name, closing, `</${closing}> closes another element`);
    } else if (opening !== undefined) {
      const attributes: Record<string, string> = {};
      for (const [, key = '', value = ''] of (attributeText ?? '').matchAll(
        /([A-Za-z][\w:.-]*)\s*=\s*"([^"]*)"/g,
      )) {
        assert.ok(!(key in attributes), `attribute ${key} twice in <${opening}>`);
        attributes[key] = decode(value, `${opening}@${key}`);
      }
      const element: XmlElement = { name: opening, attributes, children: [], text: '' };
      if (parent === undefined) {
        assert.equal(root, undefined, 'a second root element');
        root = element;
      } else {
        parent.children.push(element);
      }
      if (selfClosing !== '/') {
        stack.push(element);
      }
    } else {
      assert.ok(whole.startsWith('<?xml') || whole.startsWith('<!--'), whole);
    }
  }
  assert.equal(stack.length, 0, `unclosed: ${stack.map((e) => e.name).join(', ')}`);
  assert.ok(root !== undefined, 'no root element');
  return root;
}

function descendants(element: XmlElement): XmlElement[] {
  return element.children.flatMap((child) => [child, ...descendants(child)]);
}

test('the XML check rejects what is not well-formed', () => {
  assert.throws(() => parseXml('<svg><g></svg>'));
  assert.throws(() => parseXml('<svg><text>a < b</text></svg>'));
  assert.throws(() => parseXml('<svg><text>a & b</text></svg>'));
  assert.throws(() => parseXml('<svg a="1" a="2"/>'));
  assert.throws(() => parseXml('<svg/><svg/>'));
  assert.equal(parseXml('<svg><text>a &amp; &lt;b&gt;</text></svg>').children[0]?.text, 'a & <b>');
});

test('the SVG is a standalone, well-formed document that shows every node', () => {
  const diagram = pipelineDiagram(repartitionPipeline(), 'app');
  const svg = renderSvg(diagram);
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attributes['xmlns'], 'http://www.w3.org/2000/svg');
  const [, , width, height] = (root.attributes['viewBox'] ?? '').split(' ').map(Number);
  assert.ok(width !== undefined && width > 100 && height !== undefined && height > 100);
  const all = descendants(root);
  const labels = all
    .filter((e) => e.name === 'text' && e.attributes['class'] === 'label')
    .map((e) => e.text);
  for (const node of diagram.nodes) {
    assert.ok(labels.includes(node.label), `no label ${node.label}`);
  }
  const nodeGroups = all.filter(
    (e) => e.name === 'g' && /^node /.test(e.attributes['class'] ?? ''),
  );
  // Every node, plus one sample of each kind in the legend.
  assert.equal(nodeGroups.length, diagram.nodes.length + 8);
  const groupTitles = all
    .filter((e) => e.name === 'g' && e.attributes['class'] === 'group')
    .map((e) => e.children.find((c) => c.name === 'text')?.text);
  assert.deepEqual(groupTitles, ['Sub-topology 0', 'Sub-topology 1']);
  const edges = all.filter((e) => e.name === 'path' && /^edge /.test(e.attributes['class'] ?? ''));
  assert.equal(edges.length, diagram.edges.length);
  const markers = new Set(all.filter((e) => e.name === 'marker').map((e) => e.attributes['id']));
  for (const edge of edges) {
    assert.match(edge.attributes['d'] ?? '', /^M[\d.-]+ [\d.-]+( C[\d. -]+)+$/);
    const marker = /^url\(#(.+)\)$/.exec(edge.attributes['marker-end'] ?? '')?.[1];
    if (edge.attributes['class'] !== 'edge edge-store') {
      assert.ok(
        marker !== undefined && markers.has(marker),
        `arrowhead of ${edge.attributes['d']}`,
      );
    }
  }
});

test('names are escaped: a topic and a processor named with <&>"\' stay text', () => {
  assert.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  const pipeline = new Pipeline();
  pipeline
    .source('in<&>"put"', text, { name: 'read' })
    .mapValues((v) => v, { name: "odd<&>'step'" })
    .to('out', text, { name: 'write' });
  const svg = renderSvg(pipelineDiagram(pipeline, 'app'));
  assert.ok(svg.includes('in&lt;&amp;&gt;&quot;put&quot;'), 'the topic, escaped');
  assert.ok(!svg.includes('in<&>'), 'the raw topic name leaks');
  const labels = descendants(parseXml(svg))
    .filter((e) => e.name === 'text')
    .map((e) => e.text);
  assert.ok(labels.includes('in<&>"put"'));
  assert.ok(labels.includes("odd<&>'step'"));
});
