/**
 * The Alicat mass flow meter as a device: {@link AlicatFlowMeter}, readable only. `read()` polls
 * the unit once (every value comes from one data frame; the signals are declared uncached, so a
 * staged run never reads stale values from a unit that stopped answering).
 * @module
 */
import { NotConnectedError, toError } from '../../core/errors.js';
import type { ConnectOptions } from '../../core/device/device.js';
import { StandardReadable } from '../../core/device/standard-readable.js';
import type { Status } from '../../core/status.js';
import { resolveAlicatConfig, type AlicatConfig, type ResolvedAlicatConfig } from './config.js';
import type { AlicatIO } from './io.js';
import { withUnitCommands } from './unit.js';
import { installMeterMock } from './mock.js';
import { AlicatContext, commonSignals, type AlicatCommonSignals } from './signals.js';

/** The signal fields of an {@link AlicatFlowMeter}: the common ones, declared once in `commonSignals` (declaration merging with the class below). */
export interface AlicatFlowMeter extends AlicatCommonSignals {}

/** An Alicat mass flow meter (readable; see the module notes). */
export class AlicatFlowMeter extends withUnitCommands(StandardReadable) {
  /** The command layer of this unit. */
  readonly commands: AlicatIO;
  /** Checked configuration. */
  readonly config: ResolvedAlicatConfig;
  readonly #ctx: AlicatContext;
  readonly #release: (() => Promise<void>) | undefined;

  /** Build the meter over `commands` (from `openAlicat`, or `new AlicatIO(undefined)` for mock use); `release` frees what its opener took, run by `close()`. */
  constructor(name: string, commands: AlicatIO, config: AlicatConfig = {}, release?: () => Promise<void>) {
    super(name);
    this.config = resolveAlicatConfig({ ...config, kind: 'meter' });
    this.commands = commands;
    this.#release = release;
    this.#ctx = new AlicatContext(commands, this.config);
    Object.assign(this, commonSignals(this.#ctx));
    this.addReadables([this.massFlow], 'hinted-uncached');
    this.addReadables([this.volumetricFlow, this.pressure, this.temperature, ...(this.config.totalizer ? [this.totalizer] : []), this.status], 'uncached');
    this.addReadables([this.flags], 'child');
    this.addReadables([this.gas, this.firmware], 'config');
    this.setName(name);
  }

  /** Rename the meter; its mass flow carries the meter's own name. */
  override setName(name: string): void {
    super.setName(name);
    this.massFlow?.setName(name);
  }

  /** Connect the signals; on hardware also poll once to check the unit answers. */
  override async connect(options: ConnectOptions = {}): Promise<void> {
    await super.connect(options);
    if (options.mock) return installMeterMock(this);
    try {
      await this.#ctx.frames.poll();
    } catch (e) {
      throw new NotConnectedError({ device: this.name, errors: new Map([['unit', toError(e)]]) });
    }
  }

  /** Stop every signal's polling, then release the channel (closed when this unit's opener opened it; a shared line stays open for other units). */
  async close(): Promise<void> {
    this.#ctx.dispose();
    await this.#release?.();
  }
}
