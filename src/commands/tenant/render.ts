// Human renderings shared by the tenant commands.
import type { ChalkInstance } from 'chalk';
import type { StepReport } from '../../tenant/apply.js';
import type { CheckResult } from '../../tenant/wait.js';

export function renderStep(s: Pick<StepReport, 'action' | 'target' | 'reason' | 'state' | 'detail'>, c: ChalkInstance): string {
  const mark = s.state === 'planned' ? c.cyan('~') : s.state === 'failed' ? c.red('✗') : s.state === 'unchanged' ? c.dim('=') : c.green('+');
  return `  ${mark} ${s.action.padEnd(24)} ${s.target}${c.dim(`  (${s.detail ?? s.reason})`)}`;
}

export function renderCheck(k: CheckResult, c: ChalkInstance): string {
  const mark = k.state === 'ok' ? c.green('✓') : k.state === 'pending' ? c.yellow('…') : c.red('✗');
  return `  ${mark} ${k.name.padEnd(20)} ${k.state.padEnd(8)} ${(k.elapsedMs / 1000).toFixed(1)}s ${k.attempts} attempt(s)${k.detail ? c.dim(`  ${k.detail}`) : ''}`;
}
