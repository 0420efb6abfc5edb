/** The types of the generated bindings, without their commands and events: screens and shared
 * components import types from here; only stores and feature modules import `./bindings` (to
 * reach the core) and `./call`. */
export type * from './bindings';
