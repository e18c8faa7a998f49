import { PAIR_CASES, describePairs } from './pairs.js';

describePairs(PAIR_CASES.slice(3));
