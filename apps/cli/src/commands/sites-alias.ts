import { CliError } from '../cli-error.js';
import { expectPositionals } from '../command-line.js';
import type { Output } from '../command.js';
import type { GatewayClient, SiteAliasView } from '../gateway-client.js';
import { formatTable } from '../table.js';

const SUBCOMMANDS = ['add', 'remove', 'list'] as const;
type AliasSubcommand = (typeof SUBCOMMANDS)[number];

const isSubcommand = (text: string): text is AliasSubcommand => (SUBCOMMANDS as readonly string[]).includes(text);

const kindText = (a: Pick<SiteAliasView, 'kind'>): string => (a.kind === 'plausible' ? 'Plausible domain' : 'Umami website id');

/** `clickstream sites alias add|remove|list …`: `args` are the words after `alias`. */
export async function runSitesAlias(args: readonly string[], gateway: GatewayClient, out: Output): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined) throw new CliError('sites alias: expected add, remove or list (clickstream sites --help shows the usage)');
  if (!isSubcommand(sub)) throw new CliError(`sites alias: unknown subcommand "${sub}" (expected add, remove or list)`);
  switch (sub) {
    case 'list': {
      const [site] = expectPositionals('sites alias list', rest, ['site']);
      if (site === undefined) throw new CliError('sites alias list: which site? (e.g. clickstream sites alias list blog)');
      const aliases = await gateway.listAliases(site);
      if (aliases.length === 0) out.write(`no aliases for ${site} yet (clickstream sites alias add ${site} example.com)\n`);
      else out.write(formatTable([['ALIAS', 'KIND'], ...aliases.map((a) => [a.alias, kindText(a)])]));
      return;
    }
    case 'add': {
      const [site, alias] = expectPositionals('sites alias add', rest, ['site', 'alias']);
      if (site === undefined || alias === undefined) throw new CliError('sites alias add: which site and alias? (e.g. clickstream sites alias add blog example.com)');
      const added = await gateway.addAlias(site, alias);
      out.write(`${added.alias} (${kindText(added)}) now counts into site ${added.site}\n`);
      return;
    }
    case 'remove': {
      const [site, alias] = expectPositionals('sites alias remove', rest, ['site', 'alias']);
      if (site === undefined || alias === undefined) throw new CliError('sites alias remove: which site and alias? (e.g. clickstream sites alias remove blog example.com)');
      await gateway.removeAlias(site, alias);
      out.write(`alias ${alias.trim().toLowerCase()} of site ${site} removed\n`);
      return;
    }
    default: {
      const never: never = sub;
      throw new CliError(`sites alias: unknown subcommand "${String(never)}"`);
    }
  }
}
