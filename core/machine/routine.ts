/**
 * How an actor's program is written and resumed: a generator (Program) or a
 * hand-written state machine (Routine) for the hot kernel walks; the
 * simulator keeps the call stack of routines, generators wrapped.
 */

/**
 * An actor's program: a generator that yields a step code after describing
 * its next shared access, or yields another Program to call it (the
 * simulator keeps the call stack, so resuming an actor costs the same at
 * any depth) and receives that callee's return value.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- allowed because a type alias cannot refer to itself; the interface is what makes Program recursive
export interface Program<R = void> extends Generator<number | Frame, R, unknown> {}

/** Routine.resume(): a step is described on the actor. */
export const RESUME_STEP = 0;
/** Routine.resume(): call `callee`; its return value comes back as the next resume's input. */
export const RESUME_CALL = 1;
/** Routine.resume(): the routine has ended with `value`. */
export const RESUME_RETURN = 2;
export type Resume = typeof RESUME_STEP | typeof RESUME_CALL | typeof RESUME_RETURN;

/**
 * A kernel routine written as an explicit state machine, for the hottest
 * paths (the vmalloc/vfree page loops and table walks): the simulator
 * resumes it as it resumes a generator, without a generator's frame and
 * result objects. It describes each step on the actor exactly as the
 * generator it replaces did; it may call generators and routines, and
 * generators may call it (`yield routine`).
 */
export abstract class Routine<R = unknown> {
  // Each subclass initializes these two itself (`override callee: Frame | null = null; override value ... =
  // undefined;`, before its own fields, so the object's layout is as if they were here): an initializer here would
  // be one store site for every routine class, megamorphic, and explore builds routines for every execution.
  /** Set before returning RESUME_CALL. */
  declare callee: Frame | null;
  /** Set before returning RESUME_RETURN. */
  declare value: R | undefined;
  /** Run to the next step, call or return; `input` is the last callee's return value (else undefined). */
  abstract resume(input: unknown): Resume;
}

/** Actor.topResume before the actor has a program. */
export function noProgram(this: Routine<unknown>): Resume {
  throw new Error('resumed an actor that has no program');
}

/** What a program can call: a generator or a routine. */
export type Frame = Program<unknown> | Routine<unknown>;

/** The `next` every generator object inherits (%GeneratorPrototype%.next). */
const generatorNext = (Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())) as Generator).next;

/** A generator on an actor's stack, resumed through the Routine protocol (so resuming a frame is one kind of call). */
export class GeneratorFrame extends Routine<unknown> {
  override callee: Frame | null = null;
  override value: unknown | undefined = undefined;
  private readonly gen: Program<unknown>;
  constructor(gen: Program<unknown>) {
    super();
    this.gen = gen;
  }

  resume(input: unknown): Resume {
    // Through %GeneratorPrototype%.next itself: `this.gen.next` is a load from generator objects of every
    // generator function (a map each), which goes megamorphic.
    const r = generatorNext.call(this.gen, input) as IteratorResult<number | Frame, unknown>;
    if (r.done) {
      this.value = r.value;
      return RESUME_RETURN;
    }
    const v = r.value;
    if (typeof v === 'number') return RESUME_STEP;
    this.callee = v;
    return RESUME_CALL;
  }
}

export function frameOf(f: Frame): Routine<unknown> {
  return f instanceof Routine ? f : new GeneratorFrame(f);
}
