/**
 * The rules of docs/rules.md: what is wrong with a design that loaded, and how to fix it.
 * Rule ids and severities are stable API. Findings come out in one deterministic order.
 */
import { compileAvailability } from '../availability';
import type { AvailabilityModel } from '../availability';
import { designIndexOf } from '../design-index';
import type { DesignIndex } from '../design-index';
import { checkAvailabilityObjectives, checkRecoveryObjectives } from '../objectives';
import { RULES } from './catalogue';
import type { Finding, RuleId, Severity } from './catalogue';
import {
  checkCapacity,
  checkDeliveryPeers,
  checkHealthChecks,
  checkSharedStorage,
  checkSingleActiveReporting,
} from './tiers';
import { checkCycles, checkPartitions, checkSinglePointsOfFailure } from './failures';
import { checkMongoDB } from './mongodb';
import { checkOpenDatastores, checkUnreachable } from './reachability';
import { checkPorts, checkVip } from './network';
import { checkQuorumPlacement, checkQuorumSize } from './quorum';
import { checkRedis } from './redis';
import type { Design } from '../model';
import type { Check, RuleContext } from './context';

/** Everything `validate` needs, computed once per design version and shared with the caller. */
export interface Validation {
  findings: Finding[];
  model: AvailabilityModel;
}

/**
 * Validations by index: generation reads the findings and the model again (the runbook), and an
 * index stands for one revision of a design, so the rules run once per index.
 */
const validations = new WeakMap<DesignIndex, Validation>();

/** Runs every rule on a loaded design; once per index, however many passes ask. */
export function validateDesign(design: Design | DesignIndex): Validation {
  const index = designIndexOf(design);
  let validation = validations.get(index);
  if (validation === undefined) {
    validation = runRules(index);
    validations.set(index, validation);
  }
  return validation;
}

function runRules(index: DesignIndex): Validation {
  const model = compileAvailability(index);
  const findings: Finding[] = [];
  const report = (rule: RuleId, subjects: string[], message: string): void => {
    findings.push({ rule, severity: RULES[rule].severity, message, subjects });
  };
  const context: RuleContext = { index, model, report };
  for (const check of CHECKS) check(context);
  return { findings: sortFindings(findings), model };
}

/** Findings in a fixed order: errors first, then by rule, then by subjects. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  const key = (f: Finding) => f.subjects.join('\u0000');
  return [...findings].sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      compare(a.rule, b.rule) ||
      compare(key(a), key(b)) ||
      compare(a.message, b.message),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const CHECKS: readonly Check[] = [
  checkQuorumSize,
  checkQuorumPlacement,
  checkSinglePointsOfFailure,
  checkPartitions,
  checkCycles,
  checkCapacity,
  checkDeliveryPeers,
  checkSingleActiveReporting,
  checkSharedStorage,
  checkHealthChecks,
  checkMongoDB,
  checkRedis,
  checkPorts,
  checkVip,
  checkOpenDatastores,
  checkUnreachable,
  checkRecoveryObjectives,
  (context) => void checkAvailabilityObjectives(context),
];
