import { CliError } from '../cli-error.js';
import { expectPositionals, parseCommandLine } from '../command-line.js';
import type { Command } from '../command.js';
import { GatewayClient, gatewayUrlOf, type GoalTarget, type GoalView } from '../gateway-client.js';
import { formatTable } from '../table.js';

const USAGE = `usage: clickstream goals list <site>
       clickstream goals add <site> --page <path>
       clickstream goals add <site> --event <name> [--property <key>=<value>]
       clickstream goals remove <site> <goal id>

  A site's goals, through the running gateway with the admin token (ADMIN_TOKEN, or
  --admin-token). A goal is a page (its path; * matches any run of characters) or a custom
  event, optionally only when one of its properties has a value. The dashboard shows each
  goal's conversions for the range it shows; GET /api/sites/<site>/conversions answers them.

  --page <path>              a page goal, e.g. --page '/thanks/*'
  --event <name>             a custom event goal, e.g. --event signup
  --property <key>=<value>   with --event: only events whose property has that value
  --admin-token <token>      instead of ADMIN_TOKEN

  Example:
    clickstream goals add blog --event signup --property plan=pro
`;

const OPTIONS = { help: { type: 'boolean', short: 'h' }, page: { type: 'string' }, event: { type: 'string' }, property: { type: 'string' }, 'admin-token': { type: 'string' } } as const;

const describe = (g: GoalView): string => (g.page !== undefined ? `page ${g.page}` : `event ${g.event ?? ''}${g.property ? ` (${g.property.key} = ${g.property.value})` : ''}`);

export const goalsCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('goals', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    const [sub, ...rest] = positionals;
    if (sub === undefined) throw new CliError('goals: expected list, add or remove (clickstream goals --help shows the usage)');
    if (!['list', 'add', 'remove'].includes(sub)) throw new CliError(`goals: unknown subcommand "${sub}" (expected list, add or remove)`);
    const config = context.config();
    const gateway = new GatewayClient(gatewayUrlOf(config), values['admin-token'] ?? config.http.adminToken);
    const out = context.stdout;
    if (sub === 'remove') {
      const [site, id] = expectPositionals('goals remove', rest, ['site', 'goal id']);
      if (site === undefined || id === undefined) throw new CliError('goals remove: which site and goal? (e.g. clickstream goals remove blog Xy12ab34cd56)');
      await gateway.removeGoal(site, id);
      out.write(`goal ${id} of site ${site} removed\n`);
      return 0;
    }
    const [site] = expectPositionals(`goals ${sub}`, rest, ['site']);
    if (site === undefined) throw new CliError(`goals ${sub}: which site? (e.g. clickstream goals ${sub} blog)`);
    if (sub === 'list') {
      const goals = await gateway.listGoals(site);
      if (goals.length === 0) out.write(`no goals for ${site} yet (clickstream goals add ${site} --page /thanks)\n`);
      else out.write(formatTable([['ID', 'GOAL', 'CREATED'], ...goals.map((g) => [g.id, describe(g), g.createdAt])]));
      return 0;
    }
    const target = goalOf(values.page, values.event, values.property);
    const added = await gateway.addGoal(site, target);
    out.write(`goal ${added.id} added to ${site}: ${describe(added)}\n`);
    return 0;
  },
};

function goalOf(page: string | undefined, event: string | undefined, property: string | undefined): GoalTarget {
  if ((page === undefined) === (event === undefined)) throw new CliError('goals add: give --page <path> or --event <name>, one of them');
  if (page !== undefined) {
    if (property !== undefined) throw new CliError('goals add: --property goes with --event');
    return { page };
  }
  if (property === undefined) return { event: event! };
  const eq = property.indexOf('=');
  if (eq <= 0) throw new CliError(`goals add: --property expects <key>=<value>, got "${property}"`);
  return { event: event!, property: { key: property.slice(0, eq), value: property.slice(eq + 1) } };
}
