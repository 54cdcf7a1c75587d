import t from 'tap';
import { faultMatrix } from './fault-matrix.js';

faultMatrix(t, 'serial');
