import { Argument, type Command } from 'commander';

/** One command of the tree as completion sees it: the words that lead to it, what may follow. */
interface Node {
  path: string[];
  description: string;
  subcommands: string[];
  options: { long?: string; short?: string; description: string }[];
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** `wharf completion bash|zsh|fish`: a script completing every command and option, generated from the command tree itself. */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script, e.g. source <(wharf completion bash), or wharf completion fish > ~/.config/fish/completions/wharf.fish')
    .addArgument(new Argument('<shell>').choices(SHELLS))
    .action((shell: (typeof SHELLS)[number]) => {
      const nodes = walk(program, []);
      process.stdout.write(shell === 'fish' ? fishScript(nodes) : shell === 'zsh' ? zshScript(nodes) : bashScript(nodes));
    });
}

function walk(command: Command, path: string[]): Node[] {
  const node: Node = {
    path,
    description: command.description(),
    subcommands: command.commands.map((sub) => sub.name()),
    options: command.options.map((option) => ({
      ...(option.long ? { long: option.long } : {}),
      ...(option.short ? { short: option.short } : {}),
      description: option.description,
    })),
  };
  return [node, ...command.commands.flatMap((sub) => walk(sub, [...path, sub.name()]))];
}

function words(node: Node): string[] {
  return [...node.subcommands, ...node.options.flatMap((option) => [option.long, option.short].filter((flag): flag is string => flag !== undefined)), '--help'];
}

/** Walks the words typed so far down the tree (skipping options and arguments), then offers what the command reached takes. */
function bashScript(nodes: Node[]): string {
  const key = (node: Node): string => ['wharf', ...node.path].join(' ');
  const descend = nodes.filter((node) => node.path.length > 0).map((node) => `"${key(node)}"`);
  const offers = nodes.map((node) => `    "${key(node)}") COMPREPLY=($(compgen -W "${words(node).join(' ')}" -- "$cur")) ;;`);
  return `# wharf completion for bash: source <(wharf completion bash)
_wharf() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="wharf" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "$path \${COMP_WORDS[i]}" in
      ${descend.join('|')}) path="$path \${COMP_WORDS[i]}" ;;
    esac
  done
  case "$path" in
${offers.join('\n')}
  esac
}
complete -o default -F _wharf wharf
`;
}

/** zsh runs the bash script through its bashcompinit, which is what it is for. */
function zshScript(nodes: Node[]): string {
  return `# wharf completion for zsh: source <(wharf completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(nodes).split('\n').slice(1).join('\n')}`;
}

function fishScript(nodes: Node[]): string {
  const quote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const lines = ['# wharf completion for fish: wharf completion fish > ~/.config/fish/completions/wharf.fish', 'complete -c wharf -f'];
  for (const node of nodes) {
    // The command is reached once each word of its path was typed and none of its subcommands yet.
    const reached = [
      ...(node.path.length === 0 ? ['__fish_use_subcommand'] : node.path.map((word) => `__fish_seen_subcommand_from ${word}`)),
      ...(node.path.length > 0 && node.subcommands.length > 0 ? [`not __fish_seen_subcommand_from ${node.subcommands.join(' ')}`] : []),
    ].join('; and ');
    for (const sub of nodes.filter((candidate) => candidate.path.length === node.path.length + 1 && candidate.path.slice(0, -1).join(' ') === node.path.join(' '))) {
      lines.push(`complete -c wharf -n ${quote(reached)} -a ${sub.path.at(-1)} -d ${quote(sub.description)}`);
    }
    for (const option of node.options) {
      const flags = [option.long ? `-l ${option.long.slice(2)}` : '', option.short ? `-s ${option.short.slice(1)}` : ''].filter(Boolean).join(' ');
      lines.push(`complete -c wharf -n ${quote(reached)} ${flags} -d ${quote(option.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
