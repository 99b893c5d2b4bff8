//! The OpenAPI document's frame: title, version, the bearer-token security scheme, tags.
//! The paths come from the handlers themselves (see [`super::routes::openapi`]).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "bianca",
        description = "White / grey / black classification of housing units: statistics, unit lookups, address search and vector tiles. Anonymous callers get the public view; send `Authorization: Bearer <token>` (`bianca tokens create`) for more.",
        license(name = "EUPL-1.2"),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "catalog", description = "Snapshots, rule sets and datasets"),
        (name = "statistics", description = "Per-area statistics and area lookups"),
        (name = "units", description = "Housing units and address search"),
        (name = "tiles", description = "Mapbox vector tiles and TileJSON"),
        (name = "admin", description = "Administration (admin tokens)"),
        (name = "operations", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `bianca tokens create`"))
                    .build(),
            ),
        );
    }
}
