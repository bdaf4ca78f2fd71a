//! The native code a run uses (`Mode::Jit` and `Mode::Aot`): compiled now
//! (JIT, compile time counts in the run), taken from the code cache, or
//! loaded (AOT, or a `.so` made by `wdb compile`). Built without the `jit`
//! feature, both modes answer [`wdb_engine::NO_JIT`].

use std::path::Path;
use std::sync::Arc;

use wdb_engine::module::Module;

use super::{Mode, RunConfig, RunError, RunErrorKind, err};
use crate::code_cache::CacheUse;

#[cfg(feature = "jit")]
pub(crate) use with_jit::*;
#[cfg(not(feature = "jit"))]
pub(crate) use without_jit::*;

#[cfg(feature = "jit")]
mod with_jit {
    use super::*;
    use crate::code_cache;
    use crate::runner::engine_message;
    use wdb_engine::jit::CompileOptions;
    pub(crate) use wdb_engine::jit::{CompiledModule, JitEngine};

    /// A `.so` from `wdb compile`: the wasm bytes and their code.
    pub(crate) fn load_shared_object(file: &Path) -> Result<CompiledModule, RunError> {
        CompiledModule::load_shared_object(file).map_err(|e| {
            err(
                RunErrorKind::Load,
                format!("{}: {}", file.display(), engine_message(&e)),
            )
        })
    }

    /// The engine for `cfg.mode` (`None`: the interpreter). A module
    /// without an AOT section is compiled with a note, one made for another
    /// machine falls back to the JIT with a warning.
    pub(crate) fn engine(
        cfg: &RunConfig,
        module: &Arc<Module>,
        mut precompiled: Option<CompiledModule>,
        note: &mut impl FnMut(String),
    ) -> Result<(Option<JitEngine>, CacheUse), RunError> {
        let load_failed = |e: wdb_engine::Error| {
            err(
                RunErrorKind::Load,
                format!("{}: {}", cfg.file.display(), engine_message(&e)),
            )
        };
        let options = CompileOptions {
            profile: cfg.jit_profile.is_some(),
            fuel: cfg.fuel.is_some(),
            ..CompileOptions::default()
        };
        // Lazy (each function on its first call, inside the run) unless asked
        // to compile everything first.
        let compile = |m: Arc<Module>| {
            if cfg.eager_jit {
                CompiledModule::compile_with(m, cfg.opt_level, options, &mut |_, _| {})
            } else {
                CompiledModule::compile_lazy_with(m, cfg.opt_level, options)
            }
        };
        // The code cache holds whole modules compiled eagerly: worth it for the
        // programs people run again and again, not for a module so big that the
        // lazy JIT compiling what runs beats compiling everything once.
        // Plain code, and code with fuel checks (`--fuel`), are kept apart.
        let cache_dir = cfg.code_cache.as_ref().filter(|_| {
            (options == CompileOptions::default()
                || options
                    == CompileOptions {
                        fuel: true,
                        ..CompileOptions::default()
                    })
                && module.num_funcs() - module.num_imported_funcs <= code_cache::MAX_FUNCS
        });
        let mut cache_use = CacheUse::Off;
        let jit = match cfg.mode {
            Mode::Interp => None,
            Mode::Jit => {
                let c = match cache_dir {
                    Some(dir) => code_cache::compile(dir, module.clone(), cfg.opt_level, options)
                        .map(|(c, u)| {
                            cache_use = u;
                            c
                        }),
                    None => compile(module.clone()),
                }
                .map_err(load_failed)?;
                Some(c)
            }
            Mode::Aot => Some(match precompiled.take() {
                Some(c) => c,
                // `wdb compile` builds breakpoint checks in (for the debugger's
                // `mode aot`); profiling images (`wdb profile`) have none.
                None => match CompiledModule::load_aot_with(
                    module.clone(),
                    CompileOptions {
                        breakpoints: CompileOptions::AOT.breakpoints && !options.profile,
                        ..options
                    },
                ) {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        note(format!(
                            "wdb: note: {} has no AOT section: compiling now; use `wdb compile`",
                            cfg.file.display()
                        ));
                        compile(module.clone()).map_err(load_failed)?
                    }
                    Err(e) if e.kind == wdb_engine::ErrorKind::Malformed => {
                        return Err(err(
                            RunErrorKind::Load,
                            format!("{}: {e}", cfg.file.display()),
                        ));
                    }
                    Err(e) => {
                        note(format!(
                            "wdb: warning: {}; compiling with the JIT instead",
                            e.message
                        ));
                        compile(module.clone()).map_err(load_failed)?
                    }
                },
            }),
        }
        .map(|c| {
            let mut j = JitEngine::new(cfg.opt_level);
            j.set_profile(cfg.jit_profile.clone());
            j.fuel = options.fuel;
            j.add_compiled(Arc::new(c));
            j
        });
        Ok((jit, cache_use))
    }

    /// The engine for a component's core modules (`None`: the
    /// interpreter). In `aot` each loads the code `wdb compile` put in its
    /// own `wdb.aot` section (a module without one, or with code for another
    /// machine, is compiled now).
    pub(crate) fn component_engine(
        cfg: &RunConfig,
        modules: &[Arc<Module>],
        file: &str,
        note: &mut impl FnMut(String),
    ) -> Result<Option<JitEngine>, RunError> {
        let options = CompileOptions {
            fuel: cfg.fuel.is_some(),
            ..CompileOptions::default()
        };
        let jit = match cfg.mode {
            Mode::Interp => None,
            Mode::Jit | Mode::Aot => {
                let mut j = JitEngine::new(cfg.opt_level);
                j.fuel = options.fuel;
                let compile = |m: &Arc<wdb_engine::Module>| {
                    if cfg.eager_jit {
                        CompiledModule::compile_with(
                            m.clone(),
                            cfg.opt_level,
                            options,
                            &mut |_, _| {},
                        )
                    } else {
                        CompiledModule::compile_lazy_with(m.clone(), cfg.opt_level, options)
                    }
                    .map_err(|e| err(RunErrorKind::Load, format!("{file}: {e}")))
                };
                let mut missing = 0;
                for (i, m) in modules.iter().enumerate() {
                    let c = if cfg.mode == Mode::Aot {
                        // As for a module: `wdb compile` builds breakpoint checks in.
                        let aot = CompiledModule::load_aot_with(
                            m.clone(),
                            CompileOptions {
                                breakpoints: CompileOptions::AOT.breakpoints,
                                ..options
                            },
                        );
                        match aot {
                            Ok(Some(c)) => c,
                            Ok(None) => {
                                missing += 1;
                                compile(m)?
                            }
                            Err(e) if e.kind == wdb_engine::ErrorKind::Malformed => {
                                return Err(err(
                                    RunErrorKind::Load,
                                    format!("{file}: core module {i}: {e}"),
                                ));
                            }
                            Err(e) => {
                                note(format!(
                                    "wdb: warning: {file}: core module {i}: {}; compiling with the JIT instead",
                                    e.message
                                ));
                                compile(m)?
                            }
                        }
                    } else {
                        compile(m)?
                    };
                    j.add_compiled(Arc::new(c));
                }
                if missing > 0 {
                    note(format!(
                        "wdb: note: {file} has no AOT section in {missing} of its {} core modules: compiling them now; use `wdb compile`",
                        modules.len()
                    ));
                }
                Some(j)
            }
        };
        Ok(jit)
    }
}

#[cfg(not(feature = "jit"))]
mod without_jit {
    use super::*;
    use wdb_engine::interp::{RunControl, RunOutcome};
    use wdb_engine::runtime::Store;
    use wdb_engine::value::{FuncAddr, Value};

    /// Native code: none in a build without the JIT.
    pub(crate) enum CompiledModule {}

    impl CompiledModule {
        pub(crate) fn module(&self) -> &Arc<Module> {
            match *self {}
        }
    }

    /// A JIT engine: none in a build without the JIT.
    pub(crate) enum JitEngine {}

    impl JitEngine {
        pub(crate) fn call(
            &mut self,
            _store: &mut Store,
            _func: FuncAddr,
            _args: &[Value],
            _ctl: &mut RunControl,
        ) -> Result<RunOutcome, wdb_engine::Error> {
            match *self {}
        }
    }

    fn no_jit() -> RunError {
        err(RunErrorKind::Unavailable, wdb_engine::NO_JIT)
    }

    pub(crate) fn load_shared_object(_file: &Path) -> Result<CompiledModule, RunError> {
        Err(no_jit())
    }

    pub(crate) fn component_engine(
        cfg: &RunConfig,
        _modules: &[Arc<Module>],
        _file: &str,
        _note: &mut impl FnMut(String),
    ) -> Result<Option<JitEngine>, RunError> {
        match cfg.mode {
            Mode::Interp => Ok(None),
            Mode::Jit | Mode::Aot => Err(no_jit()),
        }
    }

    pub(crate) fn engine(
        cfg: &RunConfig,
        _module: &Arc<Module>,
        _precompiled: Option<CompiledModule>,
        _note: &mut impl FnMut(String),
    ) -> Result<(Option<JitEngine>, CacheUse), RunError> {
        match cfg.mode {
            Mode::Interp => Ok((None, CacheUse::Off)),
            Mode::Jit | Mode::Aot => Err(no_jit()),
        }
    }
}
