//! The questions' configuration (`who-can`, `access`, `paths`): the
//! question parsed, where the objects come from, and how the answer is
//! written.

use super::SourceConfig;
use super::layout::{table_width, to_terminal};
use crate::access::query::{self, Endpoint, Oddity, Resource};
use crate::access::who_can;
use crate::ask::Ask;
use crate::cli::{AccessArgs, AnswerArgs, PathsArgs, PathsFormat, SourceArgs, WhoCanArgs};
use crate::report::answers::AnswerFormat;
use crate::report::table::TableStyle;

/// A validated question: what is asked, where the objects come from, and
/// how to answer.
#[derive(Debug, Clone)]
pub struct AnswerConfig {
    /// The question.
    pub ask: Ask,
    /// Where the objects come from.
    pub source: SourceConfig,
    /// Output format.
    pub format: AnswerFormat,
    /// `None` for standard output.
    pub output_file: Option<String>,
    /// How the answer's tables are laid out: never coloured, every row
    /// and every risk shown, at the resolved width.
    pub style: TableStyle,
    /// What a `who-can` question holds that the API server never sends
    /// (a verb it does not use, an upper-case resource): asked as written,
    /// and warned about.
    pub oddities: Vec<Oddity>,
    /// `paths --operators`: the operator catalog to read instead of the
    /// built-in one.
    pub operators_file: Option<String>,
}

impl AnswerConfig {
    /// The configuration of `ask`, answered from `source` as `args` say.
    fn new<F>(ask: Ask, args: AnswerArgs<F>, source: SourceArgs) -> AnswerConfig
    where
        F: clap::ValueEnum + Clone + Send + Sync + 'static + Into<AnswerFormat>,
    {
        let width = table_width(to_terminal(args.output_file.as_deref()), args.width);
        AnswerConfig {
            ask,
            source: source.into(),
            format: args.format.into(),
            output_file: args.output_file.filter(|f| f != "-"),
            style: TableStyle {
                color: false,
                width,
                limit: None,
                wide: true,
                no_headers: args.no_headers,
            },
            oddities: Vec::new(),
            operators_file: None,
        }
    }
}

impl From<WhoCanArgs> for AnswerConfig {
    /// The plain configuration.
    fn from(args: WhoCanArgs) -> AnswerConfig {
        let url = matches!(args.resource.resource, Resource::Url(_));
        let oddities = (query::verb_oddity(&args.verb, url).into_iter())
            .chain(args.resource.oddity)
            .collect();
        let q = Ask::WhoCan {
            question: who_can::Question {
                verb: args.verb,
                resource: args.resource.resource,
                name: args.name,
                namespace: args.namespace,
            },
            assumed_core: args.resource.assumed_core,
        };
        AnswerConfig {
            oddities,
            ..AnswerConfig::new(q, args.answer, args.source)
        }
    }
}

impl From<AccessArgs> for AnswerConfig {
    /// The plain configuration.
    fn from(args: AccessArgs) -> AnswerConfig {
        let q = Ask::Access {
            subject: args.subject,
            diff_with: args.diff_with,
        };
        AnswerConfig::new(q, args.answer, args.source)
    }
}

impl From<PathsArgs> for AnswerConfig {
    /// The plain configuration.
    fn from(args: PathsArgs) -> AnswerConfig {
        let q = Ask::Paths {
            from: args.from,
            to: args.to.unwrap_or(Endpoint::ClusterAdmin),
            max_hops: args.max_hops,
            include_defaults: args.include_defaults,
            platforms: args.platform,
            operators: crate::operators::Catalog::builtin(),
            cut: args.cut,
        };
        let eks = match &q {
            Ask::Paths { platforms, .. } => platforms.clone(),
            _ => Vec::new(),
        };
        let mut config = AnswerConfig::new(q, args.answer, args.source);
        config.source = config.source.for_platforms(&eks);
        config.operators_file = args.operators;
        config
    }
}

impl From<PathsFormat> for AnswerFormat {
    /// The same format; the routes' graph formats are `paths`' own.
    fn from(format: PathsFormat) -> AnswerFormat {
        match format {
            PathsFormat::Table => AnswerFormat::Table,
            PathsFormat::Wide => AnswerFormat::Wide,
            PathsFormat::Json => AnswerFormat::Json,
            PathsFormat::Yaml => AnswerFormat::Yaml,
            PathsFormat::Dot => AnswerFormat::Dot,
            PathsFormat::Mermaid => AnswerFormat::Mermaid,
            PathsFormat::OpenGraph => AnswerFormat::OpenGraph,
            PathsFormat::Cypher => AnswerFormat::Cypher,
        }
    }
}
