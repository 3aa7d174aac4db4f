import { CliError } from '../cli-error.js';
import { expectPositionals, parseCommandLine } from '../command-line.js';
import type { Command, Output } from '../command.js';
import { GatewayClient, gatewayUrlOf, type CreatedSite } from '../gateway-client.js';
import { formatTable } from '../table.js';
import { runSitesAlias } from './sites-alias.js';

const USAGE = `usage: clickstream sites add <id> [--name <name>]
       clickstream sites list
       clickstream sites rotate-token <id>
       clickstream sites alias add <site> <alias>
       clickstream sites alias remove <site> <alias>
       clickstream sites alias list <site>

  The sites admin API of the running gateway (PUBLIC_GATEWAY_URL, or http://HOST:GATEWAY_PORT),
  with the admin token (ADMIN_TOKEN, or --admin-token; \`npm start\` prints the derived one).

  add            registers a site (id: 1 to 64 letters, digits, ".", "_" or "-") and prints
                 the snippet to paste into its pages and its dashboard link
  list           every site with its dashboard link
  rotate-token   a new dashboard token: the old one, and every link carrying it, stops
                 working within seconds; prints the new link and the snippet
  alias add      lets Plausible's or Umami's tracker count into a site unchanged: the alias is
                 the domain of a Plausible snippet (its data-domain, e.g. example.com) or the
                 website id of an Umami snippet (its data-website-id, a UUID). Case does not
                 matter; an alias belongs to one site; adding one the site has is no error
  alias remove   takes the alias from the site: that tracker's hits no longer count into it
  alias list     the site's aliases and their kind

  The dashboard link carries the site's dashboard token: it is the read-only link you share.
  Ingest accepts events of a new site at once: it reads the site list from the sites topic.

  --name <name>           display name of a new site (default: its id)
  --admin-token <token>   instead of ADMIN_TOKEN

  Examples:
    clickstream sites add blog --name "My blog"
    clickstream sites alias add blog blog.example.com
`;

const OPTIONS = { help: { type: 'boolean', short: 'h' }, name: { type: 'string' }, 'admin-token': { type: 'string' } } as const;

export const sitesCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('sites', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    const [sub, ...rest] = positionals;
    if (sub === undefined) throw new CliError('sites: expected add, list, rotate-token or alias (clickstream sites --help shows the usage)');
    if (!['add', 'list', 'rotate-token', 'alias'].includes(sub)) throw new CliError(`sites: unknown subcommand "${sub}" (expected add, list, rotate-token or alias)`);
    if (sub === 'alias' && values.name !== undefined) throw new CliError('sites alias: --name goes with sites add');
    const config = context.config();
    const gateway = new GatewayClient(gatewayUrlOf(config), values['admin-token'] ?? config.http.adminToken);
    const out = context.stdout;
    if (sub === 'alias') {
      await runSitesAlias(rest, gateway, out);
      return 0;
    }
    if (sub === 'list') {
      expectPositionals('sites list', rest, []);
      const sites = await gateway.listSites();
      if (sites.length === 0) out.write('no sites yet (clickstream sites add <id>)\n');
      else out.write(formatTable([['ID', 'NAME', 'CREATED', 'DASHBOARD'], ...sites.map((s) => [s.id, s.name, s.createdAt, s.dashboardUrl])]));
      return 0;
    }
    const [id] = expectPositionals(`sites ${sub}`, rest, ['id']);
    if (id === undefined) throw new CliError(`sites ${sub}: which site? (e.g. clickstream sites ${sub} blog)`);
    if (sub === 'add') {
      const site = await gateway.addSite(id, values.name);
      out.write(`site ${site.id} ("${site.name}") added\n\n`);
      printSite(out, site);
    } else {
      const site = await gateway.rotateToken(id);
      out.write(`site ${site.id}: new dashboard token; links with the old one stop working within seconds\n\n`);
      printSite(out, site);
    }
    return 0;
  },
};

function printSite(out: Output, site: CreatedSite): void {
  out.write(`Paste this into the pages of ${site.id}:\n  ${site.snippet}\n\n`);
  out.write(`Dashboard (read-only; the link carries the dashboard token, share it with care):\n  ${site.dashboardUrl}\n`);
}
