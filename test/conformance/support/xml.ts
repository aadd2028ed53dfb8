/**
 * Just enough XML checking for the JUnit report without a new dependency:
 * balanced tags, quoted attributes, no stray `<` or `&`. Not a general parser.
 */
export function XMLValidator(xml: string): true | string {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let match: RegExpExecArray | null;
  let index = 0;
  while (index < body.length && (match = tag.exec(body)) !== null) {
    index = tag.lastIndex;
    const [, closing, name, , selfClosing, text] = match;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) return `bare & in text near ${JSON.stringify(text.slice(0, 40))}`;
      continue;
    }
    if (closing) {
      if (stack.pop() !== name) return `unbalanced </${name}>`;
    } else if (!selfClosing) stack.push(name!);
  }
  if (index < body.length) return `cannot read XML at offset ${index}: ${JSON.stringify(body.slice(index, index + 40))}`;
  return stack.length === 0 ? true : `unclosed <${stack.join('>, <')}>`;
}

export function XMLParser(xml: string): { testcases: number; failures: number } {
  return { testcases: (xml.match(/<testcase /g) ?? []).length, failures: (xml.match(/<failure /g) ?? []).length };
}
