//! Attribute macros for Twinning's GraphQL types: the arguments every
//! connection field takes and the fields every record has, written once.
//!
//! async-graphql reads a resolver's arguments from its signature and has
//! no way to share a group of arguments between fields (input objects can
//! flatten, arguments cannot), nor to add the same fields to several
//! objects without a type of their own. These macros rewrite an impl block
//! before `#[Object]` reads it, so they must be listed above it:
//!
//! ```ignore
//! #[macros::record(history = CITY_HISTORY, key = "Stable key, such as `murmansk`.")]
//! #[Object]
//! impl City { … }
//! ```
//!
//! The code they write names the caller's `crate::graphql` and
//! `crate::store` items: they are for this workspace only.

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{
    Expr, FnArg, Ident, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat, Token, Type,
    parse_macro_input, parse_quote,
};

/// Expands every resolver argument `page: PageArgs` into the four Relay
/// arguments `after`, `before`, `first` and `last` (in that order, where
/// `page` stood, each with its description), and binds `page` to them at
/// the start of the resolver.
#[proc_macro_attribute]
pub fn paged(_args: TokenStream, item: TokenStream) -> TokenStream {
    let mut item = parse_macro_input!(item as ItemImpl);
    expand_pages(&mut item);
    quote!(#item).into()
}

fn expand_pages(item: &mut ItemImpl) {
    for member in &mut item.items {
        if let ImplItem::Fn(method) = member {
            expand_page_argument(method);
        }
    }
}

/// Whether an argument is `page: PageArgs`.
fn is_page(argument: &FnArg) -> bool {
    let FnArg::Typed(typed) = argument else {
        return false;
    };
    let named_page = matches!(&*typed.pat, Pat::Ident(ident) if ident.ident == "page");
    let page_args = matches!(&*typed.ty, Type::Path(path)
        if path.path.segments.last().is_some_and(|s| s.ident == "PageArgs"));
    named_page && page_args
}

fn expand_page_argument(method: &mut ImplItemFn) {
    let Some(position) = method.sig.inputs.iter().position(is_page) else {
        return;
    };
    let relay: [FnArg; 4] = [
        parse_quote!(#[graphql(desc = "Items after this cursor.")] after: Option<String>),
        parse_quote!(#[graphql(desc = "Items before this cursor.")] before: Option<String>),
        parse_quote!(
            #[graphql(desc = "The first n items (at most 100 by default; default 20).")]
            first: Option<i32>
        ),
        parse_quote!(#[graphql(desc = "The last n items (at most 100 by default).")] last: Option<i32>),
    ];
    let mut inputs: Vec<FnArg> = method.sig.inputs.iter().cloned().collect();
    let FnArg::Typed(page) = inputs.remove(position) else {
        return;
    };
    inputs.splice(position..position, relay);
    method.sig.inputs = inputs.into_iter().collect();
    let ty = page.ty;
    method.block.stmts.insert(
        0,
        parse_quote!(let page = #ty { after, before, first, last };),
    );
}

/// What `#[record(…)]` is told: the relation from the record to its
/// changes, and the description of its `key`.
struct RecordArgs {
    history: Expr,
    key: LitStr,
}

impl Parse for RecordArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut history = None;
        let mut key = None;
        while !input.is_empty() {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match name.to_string().as_str() {
                "history" => history = Some(input.parse()?),
                "key" => key = Some(input.parse()?),
                _ => return Err(syn::Error::new(name.span(), "expected `history` or `key`")),
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Self {
            history: history.ok_or_else(|| input.error("`history = RELATION` is missing"))?,
            key: key.ok_or_else(|| input.error("`key = \"description\"` is missing"))?,
        })
    }
}

/// Adds the fields every record type has to an `#[Object]` impl of a
/// wrapper `Type(model)`: `history` (its changes, newest first, through
/// the given relation; editors and admins), `id` (the global id built from
/// the type's name and the key) and `key` (described as given). Expands
/// `page: PageArgs` as [`macro@paged`] does.
#[proc_macro_attribute]
pub fn record(args: TokenStream, item: TokenStream) -> TokenStream {
    let RecordArgs { history, key } = parse_macro_input!(args as RecordArgs);
    let mut item = parse_macro_input!(item as ItemImpl);
    let Type::Path(self_ty) = &*item.self_ty else {
        return syn::Error::new_spanned(&item.self_ty, "expected a named type")
            .to_compile_error()
            .into();
    };
    let type_name = self_ty
        .path
        .segments
        .last()
        .map_or_else(|| format_ident!("Record"), |s| s.ident.clone())
        .to_string();
    let fields: [ImplItem; 3] = [
        parse_quote! {
            /// Every recorded change to this record, newest first (editors and admins).
            #[graphql(guard = "crate::graphql::guards::RoleGuard(crate::domain::access::Role::Editor)")]
            async fn history(
                &self,
                ctx: &async_graphql::Context<'_>,
                page: crate::graphql::connection::PageArgs,
            ) -> crate::error::Result<
                crate::graphql::connection::Connection<crate::graphql::types::change::Change>,
            > {
                crate::graphql::types::change::history(ctx, self.0.id, &#history, page).await
            }
        },
        parse_quote! {
            /// Opaque global id, stable across databases (built from type and key).
            pub async fn id(&self) -> async_graphql::ID {
                crate::graphql::node::global_id(#type_name, &self.0.key)
            }
        },
        parse_quote! {
            #[doc = #key]
            pub async fn key(&self) -> &str {
                &self.0.key
            }
        },
    ];
    item.items.splice(0..0, fields);
    expand_pages(&mut item);
    quote!(#item).into()
}
