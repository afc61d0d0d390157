/** The training run (issue 12 §2): the loop, its setup, learning rates, preview, tracker, divergence and collapse. */
export { runTraining, MAX_LOSS_RECORDS, type RunCallbacks, type RunTrainingOptions } from './run';
export { chooseLearningRates, empiricalLambdaMax, type ChosenLearningRates } from './learningRates';
export { buildPreview, type RunPreview } from './preview';
export { installTheoryRunner, THEORY_THREAD_MIN_N, type TheoryRunner } from './setup';
export type { TheoryJobInput, TheoryJobOutput, TheoryThreadReply } from './theoryJob';
export { EIGEN_THREAD_MIN_N, installEigenThread, type EigenThread, type TrackedEigenJob, type TrackedEigenReply } from './trackedEigen';
