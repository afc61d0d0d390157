/** Theory of SPEC §5.5–§7: step sizes, linearized dynamics, predictions, sufficient widths, Prop. D, reports. */
export { automaticLearningRate, maxStableLearningRate, suggestedLearningRate } from './stepSize';
export { linearizedLossCurve, linearizedModel, predictLinearized, spanBasis, spanShare, type LinearizedModel } from './linearized';
export {
  sufficientWidths,
  THEOREM_A_FLOW_CONSTANT,
  THEOREM_A_DISCRETE_CONSTANT,
  THEOREM_B_CONSTANT,
  type SufficientWidths,
  type WidthCondition,
} from './sufficientWidth';
export { tiedDiagnostics, TIED_EXPLANATION, type TiedDiagnostics } from './tied';
export { theoryReport, spectralNormSquared, hasUnitNorm, type TheoryReport } from './report';
export { runTheory, logSpacedSteps, RUN_THEORY_MAX_N, type RunTheory } from './runTheory';
