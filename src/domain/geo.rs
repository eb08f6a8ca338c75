//! Distances on the Earth's surface.

/// Mean Earth radius used for distances, in km.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point, in degrees (north and east positive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

/// The great-circle distance between two points, in km (haversine).
pub fn distance_km(a: Point, b: Point) -> f64 {
    let (lat1, lon1, lat2, lon2) = (
        a.latitude.to_radians(),
        a.longitude.to_radians(),
        b.latitude.to_radians(),
        b.longitude.to_radians(),
    );
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmansk_to_harbin_is_about_five_thousand_km() {
        let murmansk = Point {
            latitude: 68.97,
            longitude: 33.07,
        };
        let harbin = Point {
            latitude: 45.75,
            longitude: 126.65,
        };
        let km = distance_km(murmansk, harbin);
        assert!((5_000.0..5_600.0).contains(&km), "{km}");
        assert!(distance_km(murmansk, murmansk).abs() < 1e-9);
    }
}
