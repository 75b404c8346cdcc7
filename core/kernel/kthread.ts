/**
 * kernel/kthread.c as memory online meets it: kthread_run() ->
 * kthread_create_on_node() -> __kthread_create_on_node() queues a request on
 * kthread_create_list, wakes kthreadd and waits for the new thread
 * (wait_for_completion_killable(&done)); kthreadd() takes the request and
 * create_kthread() -> kernel_thread() -> copy_process() -> dup_task_struct()
 * -> alloc_thread_stack_node(), which with CONFIG_VMAP_STACK vmallocs the
 * stack (__vmalloc_node_range(THREAD_SIZE, THREAD_ALIGN, VMALLOC_START,
 * VMALLOC_END, THREADINFO_GFP, PAGE_KERNEL, 0, node, ...)); the new thread
 * runs kthread(), which complete()s `done`. That vmalloc is an ordinary one:
 * under Option 2 it takes get_online_mems() (DOMAIN §9).
 */
import type { Actor } from '../machine/actor.ts';
import type { Program } from '../machine/routine.ts';
import type { Sim } from '../machine/sim.ts';
import { vmalloc } from './vmalloc.ts';

/** arm64 THREAD_SIZE (16 KiB, MIN_THREAD_SHIFT 14 without KASAN) and THREAD_ALIGN (2 * THREAD_SIZE with CONFIG_VMAP_STACK). */
const THREAD_SIZE = 16 * 1024;
const THREAD_ALIGN = 2 * THREAD_SIZE;

/**
 * kthread_run(threadfn, data, namefmt) from `caller` (kswapd_run(), kcompactd_run()):
 * post the request to kthreadd and wait until the thread exists. `done` is the
 * caller's completion (create->done; owned by kthreadd for the waits-for graph).
 */
export function* kthread_run(s: Sim, a: Actor, caller: string, thread: string, done: number): Program {
  yield a.work(caller, `kthread_run(${thread}, pgdat, "${thread}%d", nid)`, s.cost.spinLock);
  yield a.complete('__kthread_create_on_node', 'list_add_tail(&create->list, &kthread_create_list); wake_up_process(kthreadd_task)', s.kthreadQueue, done);
  yield a.waitForCompletion('__kthread_create_on_node', 'wait_for_completion_killable(&done)', done);
}

/** kthreadd(): forever, sleep until kthread_create_list has a request, then create_kthread() it. */
export function* kthreadd(s: Sim, a: Actor, window: number): Program {
  const pages = THREAD_SIZE / s.geometry.pageSize;
  const align = THREAD_ALIGN / s.geometry.pageSize;
  for (;;) {
    yield a.waitForCompletion('kthreadd', 'schedule() /* until kthread_create_list is not empty */', s.kthreadQueue);
    const done = a.result;
    yield a.work('copy_process', 'create_kthread() -> kernel_thread() -> copy_process(): task_struct, credentials, signals', s.cost.kthreadCreate);
    yield a.work('alloc_thread_stack_node', '__vmalloc_node_range(THREAD_SIZE, THREAD_ALIGN, VMALLOC_START, VMALLOC_END, THREADINFO_GFP, ...) /* CONFIG_VMAP_STACK */', 0);
    yield vmalloc(s, a, pages, align, window, true);
    yield a.complete('kthread', 'complete(done) /* the new thread runs kthread() */', done, 0);
  }
}
