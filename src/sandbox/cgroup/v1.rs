#[derive(Debug, Clone)] pub struct V1Hierarchy;
