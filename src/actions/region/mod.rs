//! Regions and zones of the world.
pub mod describe_regions;
pub mod describe_zones;
