//! `secretgen create`: a Secret as `kubectl create secret` prints it, or its generator.

use std::process::ExitCode;

use secretgen::error::Error;

use super::args::{CreateCommand, CreateCommon};
use super::print::write_stdout;

/// `secretgen create …`: the Secret (or generator) on stdout.
pub(super) fn run(c: CreateCommand) -> Result<ExitCode, Error> {
    use secretgen::app::create::{self, Request};
    let start = |common: &CreateCommon| {
        let mut r = Request::new(&common.name, common.namespace.clone());
        r.append_hash = common.append_hash;
        r
    };
    let (req, generator) = match &c {
        CreateCommand::Generic {
            common,
            from_literal,
            from_file,
            from_env_file,
            type_,
        } => {
            if !from_env_file.is_empty() && (!from_file.is_empty() || !from_literal.is_empty()) {
                return Err(Error::Usage(
                    "--from-env-file cannot be combined with --from-file or --from-literal".into(),
                ));
            }
            let mut r = start(common);
            r.set_type(type_.clone());
            for l in from_literal {
                r.literal(l)?;
            }
            for f in from_file {
                r.file(f)?;
            }
            for e in from_env_file {
                r.env_file(e)?;
            }
            (r, common.generator)
        }
        CreateCommand::Tls { common, cert, key } => {
            let mut r = start(common);
            create::tls(&mut r, cert.as_deref(), key.as_deref())?;
            (r, common.generator)
        }
        CreateCommand::DockerRegistry {
            common,
            docker_server,
            docker_username,
            docker_password,
            docker_email,
            from_file,
        } => {
            let mut r = start(common);
            create::docker_registry(
                &mut r,
                &create::Docker {
                    server: docker_server,
                    username: docker_username.as_deref(),
                    password: docker_password.as_deref(),
                    email: docker_email.as_deref(),
                    from_file: from_file.clone(),
                },
            )?;
            (r, common.generator)
        }
        CreateCommand::BasicAuth {
            common,
            username,
            password_file,
        } => {
            let mut r = start(common);
            create::basic_auth(&mut r, username.as_deref(), password_file.as_deref())?;
            (r, common.generator)
        }
        CreateCommand::SshAuth {
            common,
            ssh_privatekey,
        } => {
            let mut r = start(common);
            create::ssh_auth(&mut r, ssh_privatekey)?;
            (r, common.generator)
        }
    };
    let out = if generator {
        req.to_generator()?
    } else {
        req.into_yaml()
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}
