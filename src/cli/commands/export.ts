import { resolve } from 'node:path';
import { EXPORT_FORMATS, EXPORT_PARTS, exportFragment } from '../../openapi/export';
import { writeFileAtomic } from '../atomic-write';
import { EXIT_OK, UsageError, choice, stringFlag, stringsFlag, type Command } from '../command';

const VERSIONS = ['3.0', '3.1'] as const;

export const exportCommand: Command = {
  name: 'export',
  summary: 'print the token endpoint OpenAPI fragment (JSON or YAML)',
  help: `Usage: token-contract export [options]

Print the OpenAPI fragment of POST /oauth/token: a complete document by
default, or only the operation or the component schemas.

Options:
  --format json|yaml            output format (default json)
  --openapi 3.0|3.1             OpenAPI version: 3.0 (default) writes 3.0.3, 3.1 writes 3.1.0
  --path P                      path of the token endpoint (default /oauth/token; --only document)
  --only document|operation|components
                                what to print (default document)
  --operation-id ID             operationId (default attestoPhoenixTokenCreate)
  --tag T                       operation tag; repeat for several (default "OAuth 2.0")
  --server URL                  add a server URL to the document (--only document); repeatable
  --out FILE                    write to FILE atomically instead of stdout
  -h, --help                    show this help
`,
  options: {
    format: { type: 'string' },
    openapi: { type: 'string' },
    path: { type: 'string' },
    only: { type: 'string' },
    'operation-id': { type: 'string' },
    tag: { type: 'string', multiple: true },
    server: { type: 'string', multiple: true },
    out: { type: 'string' },
  },
  async run({ values }, io) {
    const format = choice('format', values.format ?? 'json', EXPORT_FORMATS);
    const openapi = choice('openapi', values.openapi ?? '3.0', VERSIONS);
    const only = choice('only', values.only ?? 'document', EXPORT_PARTS);
    const path = stringFlag(values, 'path');
    if (path !== undefined && !path.startsWith('/')) throw new UsageError(`--path must start with "/" (got ${JSON.stringify(path)})`);
    const servers = stringsFlag(values, 'server').map((url) => {
      if (!URL.canParse(url)) throw new UsageError(`--server must be an absolute URL (got ${JSON.stringify(url)})`);
      return { url };
    });
    // --server and --path shape a whole document; with --only they would be silently lost.
    if (only !== 'document' && servers.length > 0) throw new UsageError(`--server applies to --only document, not --only ${only}`);
    if (only !== 'document' && path !== undefined) throw new UsageError(`--path applies to --only document, not --only ${only}`);
    const tags = stringsFlag(values, 'tag');
    const text = exportFragment({
      format,
      openapi,
      only,
      path,
      operationId: stringFlag(values, 'operation-id'),
      tags: tags.length > 0 ? tags : undefined,
      servers: servers.length > 0 ? servers : undefined,
    });
    const out = stringFlag(values, 'out');
    if (out === undefined) {
      io.stdout.write(text);
      return EXIT_OK;
    }
    try {
      await writeFileAtomic(resolve(io.cwd, out), text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot write --out ${JSON.stringify(out)}: ${code ?? (error as Error).message}`, false);
    }
    io.stderr.write(`wrote ${out}\n`);
    return EXIT_OK;
  },
};
