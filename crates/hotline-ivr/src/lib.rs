//! Scripted IVR menus: loader, checker and the sans-IO IVR state machine. (Issue 4: not built yet.)
