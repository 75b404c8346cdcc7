/**
 * Tick steps for axes of counts (runs, ops, TLBIs, pages): whole numbers only,
 * so a count axis never reads "2.5 runs" or "1 1 1" from fractional steps rounded.
 */
export const INTEGER_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
